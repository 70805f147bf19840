// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// PauseImage is the pod sandbox image; BusyboxImage a small shell image for tests and demos.
const (
	PauseImage   = "stack.local/pause:1"
	BusyboxImage = "stack.local/busybox:1"
)

// startContainerd writes the configuration of the stack's containerd (2.x, built from the Go
// module proxy into the cache) and starts it. Every path it writes or listens on is in the
// stack's directory, so that several stacks run side by side: its root and state, its sockets,
// the NRI socket and plugin directories, the CNI configuration, the registry hosts directory.
// The runc shim is the cached one, named by its absolute path (runtime_path) and first in the
// PATH of containerd, so that no shim installed on the host is ever used; runc is the host's.
func (s *Stack) startContainerd(ctx context.Context) error {
	data := filepath.Join(s.Dir, "data")
	cniDir := filepath.Join(data, "cni")
	if err := os.MkdirAll(cniDir, 0o750); err != nil {
		return err
	}
	// Only the loopback plugin: the runtime's network is "ready", and pods use hostNetwork
	// (traffic stays on 127.0.0.1).
	if err := os.WriteFile(filepath.Join(cniDir, "10-loopback.conflist"),
		[]byte(`{"cniVersion": "0.4.0", "name": "stack-lo", "plugins": [{"type": "loopback"}]}`), 0o600); err != nil {
		return err
	}
	path := filepath.Join(data, "containerd.toml")
	if err := os.WriteFile(path, []byte(s.containerdConfig()), 0o600); err != nil {
		return err
	}
	// The shim's directory first in PATH: containerd's own fallback when no runtime_path is
	// set, and what the shim itself finds (runc stays on the host's PATH after it).
	env := []string{"PATH=" + filepath.Dir(s.Bins.ContainerdShim) + string(os.PathListSeparator) + os.Getenv("PATH")}
	if err := s.start("containerd", env, s.Bins.Containerd, "--config", path); err != nil {
		return err
	}
	if err := s.waitFor(ctx, "containerd", 30*time.Second, func(ctx context.Context) error {
		if err := s.ctr(ctx, "version"); err != nil {
			return err
		}
		// NRI is on: containerd creates the socket for external NRI plugins once its CRI
		// service runs, so a containerd with NRI off never passes this check.
		if _, err := os.Stat(s.Env.NRISocket); err != nil {
			return fmt.Errorf("NRI socket: %w", err)
		}
		return nil
	}); err != nil {
		return err
	}
	return s.importBaseImages(ctx)
}

// containerdConfig is the configuration of the stack's containerd, in the format of
// containerd 2.3 and later (version 4: the CRI plugin is split into
// io.containerd.cri.v1.images and io.containerd.cri.v1.runtime, the server sockets are
// plugins), so that containerd does not migrate it at every start.
func (s *Stack) containerdConfig() string {
	data := filepath.Join(s.Dir, "data")
	return fmt.Sprintf(`version = 4
root = %[1]q
state = %[2]q
temp = %[3]q

[plugins.'io.containerd.server.v1.grpc']
  address = %[4]q
[plugins.'io.containerd.server.v1.ttrpc']
  address = %[5]q
# no metrics and no debug socket: their plugins listen only when given an address

[plugins.'io.containerd.internal.v1.opt']
  path = %[6]q
[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = %[7]q

# NRI (Node Resource Interface): on, with its socket for external plugins in this stack's
# directory (not /var/run/nri/nri.sock, which two stacks would share) and no plugins of the
# host started or configured.
[plugins.'io.containerd.nri.v1.nri']
  disable = false
  disable_connections = false
  socket_path = %[8]q
  plugin_path = %[9]q
  plugin_config_path = %[10]q
  # The default validator enforces the required-plugins annotations: a container the module's
  # webhook marks for the secrets-store plugin is not created while that plugin is absent (for
  # example, while the CSI driver restarts), as the module's docs require of a node.
  [plugins.'io.containerd.nri.v1.nri'.default_validator]
    enable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = %[11]q
  # Registries of tests (TrustRegistry): read at every pull.
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = %[12]q

[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  # root here may lack CAP_SYS_RESOURCE, so runc can't set the sandbox's oom_score_adj=-998
  restrict_oom_score_adj = true
  cdi_spec_dirs = [%[13]q]
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      runtime_path = %[14]q
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['/usr/lib/cni']
    conf_dir = %[15]q

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
`,
		filepath.Join(data, "containerd"), filepath.Join(s.Dir, "run", "containerd-state"), filepath.Join(data, "containerd-tmp"),
		s.Env.ContainerdSocket, s.Env.ContainerdSocket+".ttrpc",
		filepath.Join(data, "containerd-opt"), filepath.Join(data, "containerd-image-verifiers"),
		s.Env.NRISocket, filepath.Join(data, "nri", "plugins"), filepath.Join(data, "nri", "conf.d"),
		PauseImage, s.registryHostsDir(),
		filepath.Join(data, "cdi"),
		s.Bins.ContainerdShim,
		filepath.Join(data, "cni"))
}

// ctr runs the stack's ctr against this stack's containerd, in the CRI namespace.
func (s *Stack) ctr(ctx context.Context, args ...string) error {
	_, err := s.ctrOutput(ctx, args...)
	return err
}

// ctrOutput is ctr returning its standard output.
func (s *Stack) ctrOutput(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--address", s.Env.ContainerdSocket, "--namespace", "k8s.io"}, args...)
	cmd := exec.CommandContext(ctx, s.ctrPath(), full...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()+" "+string(out)))
	}
	return out, nil
}

// ctrPath is the stack's ctr; a stack loaded from its directory (Load) has the cached one.
func (s *Stack) ctrPath() string {
	if s.Bins.Ctr != "" {
		return s.Bins.Ctr
	}
	return CachedBinaries().Ctr
}

func (s *Stack) startKubelet(ctx context.Context) error {
	dir := s.Env.KubeletDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: %s
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %s
tlsCertFile: %s
tlsPrivateKeyFile: %s
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %s}
authorization:
  mode: Webhook
containerRuntimeEndpoint: unix://%s
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
registerNode: true
resolvConf: /etc/resolv.conf
clusterDomain: cluster.local
podLogsDir: %s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%%", imagefs.available: "1%%"}
serializeImagePulls: false
# pods are synced (and CSI volumes with requiresRepublish republished) every 10 s, not 1 min,
# so rotation is observable in seconds
syncFrequency: 10s
maxPods: 250
staticPodPath: ""
`, s.port("kubelet"), s.port("kubelet-healthz"), s.pkiFile("kubelet.crt"), s.pkiFile("kubelet.key"),
		s.pkiFile("ca.crt"), s.Env.ContainerdSocket, filepath.Join(s.Dir, "data", "pod-logs"))
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o600); err != nil {
		return err
	}
	if err := shareMount(dir); err != nil {
		return err
	}
	err := s.start("kubelet", nil, s.Bins.Kubelet, "--config", filepath.Join(dir, "config.yaml"),
		"--kubeconfig", filepath.Join(s.Dir, "kubelet.kubeconfig"), "--root-dir", dir,
		"--hostname-override", NodeName, "--node-ip", "127.0.0.1", "--v=1")
	if err != nil {
		return err
	}
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	if err := s.waitFor(ctx, "kubelet", 120*time.Second, func(ctx context.Context) error {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		// Ready, and the node lifecycle controller has removed the not-ready taint, so
		// pods schedule at once
		for _, t := range n.Spec.Taints {
			if t.Key == corev1.TaintNodeNotReady {
				return fmt.Errorf("node %s still has taint %s", NodeName, t.Key)
			}
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("node %s is not Ready", NodeName)
	}); err != nil {
		return err
	}
	// The kubelet refuses a loopback --node-ip and then publishes no address, so the
	// apiserver could not reach it for logs and exec. It leaves addresses alone after that
	// error, so they are set once here.
	patch := `{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"},{"type":"Hostname","address":"localhost"}]}}`
	_, err = cs.CoreV1().Nodes().Patch(ctx, NodeName, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, "status")
	return err
}

// shareMount makes dir a shared mount point (a bind mount of itself), so that mounts made
// below it in a container with mountPropagation: Bidirectional (the CSI node plugin's tmpfs
// volumes) reach the kubelet and the pods. On real nodes systemd makes / shared; here / may
// be private. unmountAll removes the bind mount with the rest.
func shareMount(dir string) error {
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount %s: %w", dir, err)
	}
	if err := syscall.Mount("", dir, "", syscall.MS_SHARED|syscall.MS_REC, ""); err != nil {
		return fmt.Errorf("make %s a shared mount: %w", dir, err)
	}
	return nil
}

// killContainers stops every container of this stack's containerd so their shims exit.
func (s *Stack) killContainers() {
	if s.Env.ContainerdSocket == "" {
		return
	}
	if pid, ok := s.pid("containerd"); !ok || !alive(pid) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, verb := range [][]string{{"tasks", "kill", "--signal", "SIGKILL"}, {"tasks", "delete", "--force"}, {"containers", "delete"}} {
		out, err := s.ctrOutput(ctx, verb[0], "list", "--quiet")
		if err != nil {
			return
		}
		for _, id := range strings.Fields(string(out)) {
			_ = s.ctr(ctx, append(verb, id)...)
		}
		if verb[1] == "kill" {
			time.Sleep(time.Second)
		}
	}
}

// killShims kills, by PID, containerd shims whose command line names this stack's socket.
func (s *Stack) killShims() {
	if s.Env.ContainerdSocket == "" {
		return
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, "containerd-shim") && strings.Contains(cmd, s.Env.ContainerdSocket) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			if pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				s.logf("killed shim pid %d", pid)
			}
		}
	}
}

// unmountAll unmounts everything mounted under the stack directory, deepest first.
func (s *Stack) unmountAll() error {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return err
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 1 && strings.HasPrefix(fields[1], s.Dir+"/") {
			mounts = append(mounts, fields[1])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	var last error
	for _, m := range mounts {
		if err := syscall.Unmount(m, 0); err != nil {
			if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
				last = fmt.Errorf("unmount %s: %w", m, err)
			}
		}
	}
	return last
}
