// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"os"
	"path/filepath"
)

// The versions of the local real cluster: the one place they are written. hack/stack/build.sh
// receives them from Build.
const (
	KubernetesVersion = "v1.33.13"
	EtcdVersion       = "v3.5.21"
	OpenBaoVersion    = "2.4.0"
	// OpenBao's root module has no /v2 suffix, so its tags are not module versions; this is
	// the pseudo-version of the commit tagged v2.4.0.
	openBaoPseudo = "v0.0.0-20250828202315-f9407a27fbee"
	// KubeRBACProxyVersion is github.com/brancz/kube-rbac-proxy, the sidecar in front of the
	// module's metrics in the local cluster (Deckhouse runs its own build of it).
	KubeRBACProxyVersion = "v0.19.1"
	// ContainerdVersion is github.com/containerd/containerd/v2 (containerd, its runc shim and
	// ctr); runc itself is Debian's (containerd 2.x needs runc 1.1 or later).
	ContainerdVersion = "v2.4.2"
)

var kubernetesCommands = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kubectl"}

// containerdCommands are built from github.com/containerd/containerd/v2/cmd/<name>.
var containerdCommands = []string{"containerd", "containerd-shim-runc-v2", "ctr"}

// CacheDir is where built binaries are kept, outside the repository, one directory per
// component and version: STACK_CACHE or /var/cache/secrets-store-integration.
func CacheDir() string {
	if d := os.Getenv("STACK_CACHE"); d != "" {
		return d
	}
	return "/var/cache/secrets-store-integration"
}

// Binaries are the absolute paths of every program the stack runs.
type Binaries struct {
	APIServer, ControllerManager, Scheduler, Kubelet, Kubectl, Etcd, Bao string
	KubeRBACProxy                                                        string
	// Containerd, its runc shim (containerd is told its path, see startContainerd) and ctr,
	// all from one directory.
	Containerd, ContainerdShim, Ctr string
}

// CachedBinaries returns the paths in the cache for the pinned versions.
func CachedBinaries() Binaries {
	k := filepath.Join(CacheDir(), "kubernetes-"+KubernetesVersion)
	c := filepath.Join(CacheDir(), "containerd-"+ContainerdVersion)
	return Binaries{
		APIServer:         filepath.Join(k, "kube-apiserver"),
		ControllerManager: filepath.Join(k, "kube-controller-manager"),
		Scheduler:         filepath.Join(k, "kube-scheduler"),
		Kubelet:           filepath.Join(k, "kubelet"),
		Kubectl:           filepath.Join(k, "kubectl"),
		Etcd:              filepath.Join(CacheDir(), "etcd-"+EtcdVersion, "etcd"),
		Bao:               filepath.Join(CacheDir(), "openbao-"+OpenBaoVersion, "bao"),
		KubeRBACProxy:     filepath.Join(CacheDir(), "kube-rbac-proxy-"+KubeRBACProxyVersion, "kube-rbac-proxy"),
		Containerd:        filepath.Join(c, "containerd"),
		ContainerdShim:    filepath.Join(c, "containerd-shim-runc-v2"),
		Ctr:               filepath.Join(c, "ctr"),
	}
}

func (b Binaries) missing() []string {
	var out []string
	for _, p := range []string{b.APIServer, b.ControllerManager, b.Scheduler, b.Kubelet, b.Kubectl, b.Etcd, b.Bao, b.KubeRBACProxy, b.Containerd, b.ContainerdShim, b.Ctr} {
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			out = append(out, p)
		}
	}
	return out
}
