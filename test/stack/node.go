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
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # root here may lack CAP_SYS_RESOURCE, so runc can't set the sandbox's oom_score_adj=-998
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
  # Registries of tests (TrustRegistry): read at every pull.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %q
`, filepath.Join(data, "containerd"), filepath.Join(s.Dir, "run", "containerd-state"), s.Env.ContainerdSocket, PauseImage, cniDir,
		s.registryHostsDir())
	path := filepath.Join(data, "containerd.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return err
	}
	if err := s.start("containerd", nil, "containerd", "--config", path); err != nil {
		return err
	}
	if err := s.waitFor(ctx, "containerd", 30*time.Second, func(ctx context.Context) error {
		return s.ctr(ctx, "version")
	}); err != nil {
		return err
	}
	return s.importBaseImages(ctx)
}

// ctr runs containerd's client against this stack's containerd, in the CRI namespace.
func (s *Stack) ctr(ctx context.Context, args ...string) error {
	full := append([]string{"--address", s.Env.ContainerdSocket, "--namespace", "k8s.io"}, args...)
	out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
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
		out, err := exec.CommandContext(ctx, "ctr", "--address", s.Env.ContainerdSocket, "--namespace", "k8s.io",
			verb[0], "list", "--quiet").Output()
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
