// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Measures where the pages of the volumes' tmpfs are charged: the plugin writes the files, so
// the kernel charges them to the plugin container's memory cgroup, whose limit (the DaemonSet's
// memory limit) then bounds the secrets of all volumes on the node. The figures are logged and
// go to docs/FAQ.md.
func TestCSIMemoryCharge(t *testing.T) {
	setupModule(t)
	if _, ok := mod.(*modulechart.Module); !ok {
		t.Skip("needs the CSI plugin in its DaemonSet pod (E2E_MODULE=chart)")
	}
	// The largest file a 4Mi volume takes: two copies must fit.
	const fileSize = 2_000_000
	// E2E_CSI_MEMORY_VOLUMES raises the count, to find where the plugin is OOM-killed.
	volumes := 16
	if v, err := strconv.Atoi(os.Getenv("E2E_CSI_MEMORY_VOLUMES")); err == nil && v > 0 {
		volumes = v
	}
	ctx := t.Context()
	role := secretWithRole(t, "memory", "memory-secret", map[string]any{"VALUE": strings.Repeat("m", fileSize)})
	if err := applySSI(ctx, seedNS, "memory-ssi", role, ssiFile{Name: "value", Path: seedKV + "/data/memory-secret", Key: "VALUE"}); err != nil {
		t.Fatal(err)
	}
	before := pluginMemory(t)
	t.Logf("before: %s", before)

	pod := stack.HostPod(seedNS, "memory", seedSA, stack.BusyboxImage, "sh", "-c", "wc -c /mnt/s*/value; sleep 3600")
	for i := range volumes {
		name := fmt.Sprintf("s%d", i)
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
			Driver: stack.CSIDriverName, VolumeAttributes: map[string]string{"secretsStoreImport": "memory-ssi"},
		}}})
		pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: name, MountPath: "/mnt/" + name})
	}
	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(seedNS).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(t.Context()), kube, seedNS, pod.Name) })
	if err := waitMountedOrKilled(ctx, pod.Name, fmt.Sprintf("%d total", volumes*fileSize)); err != nil {
		t.Fatal(err)
	}
	mounted := pluginMemory(t)
	t.Logf("%d volumes with a %d-byte file each: %s", volumes, fileSize, mounted)

	if err := stack.DeletePod(ctx, kube, seedNS, pod.Name); err != nil {
		t.Fatal(err)
	}
	var after memoryFigures
	// kubelet unmounts the volumes shortly after the pod is gone.
	_ = stack.Poll(ctx, time.Minute, func(context.Context) (bool, error) {
		after = pluginMemory(t)
		return after.shmem-before.shmem < fileSize, nil
	})
	t.Logf("after the pod is deleted: %s", after)

	payload := int64(volumes * fileSize)
	charged := mounted.shmem - before.shmem
	t.Logf("charged to the plugin's cgroup: %.1f MiB of shmem for %.1f MiB of files (%.2f per byte); usage %+.1f MiB, anonymous %+.1f MiB; limit %.0f MiB",
		mib(charged), mib(payload), float64(charged)/float64(payload), mib(mounted.usage-before.usage), mib(mounted.anon-before.anon), mib(mounted.limit))
	if charged < payload*9/10 {
		t.Errorf("the plugin's cgroup was charged %d bytes of shmem for %d bytes of files: the files are charged elsewhere now, update docs/FAQ.md", charged, payload)
	}
	if left := after.shmem - before.shmem; left > payload/10 {
		t.Errorf("%d bytes of shmem still charged after the volumes were unmounted", left)
	}
}

// waitMountedOrKilled waits until the pod logs want (every volume mounted), or fails with the
// plugin's last termination once a CSI plugin container has restarted.
func waitMountedOrKilled(ctx context.Context, pod, want string) error {
	var killed string
	err := stack.Poll(ctx, 3*time.Minute, func(ctx context.Context) (bool, error) {
		plugins, err := kube.CoreV1().Pods(modulechart.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=csi-driver"})
		if err != nil {
			return false, err
		}
		for _, p := range plugins.Items {
			for _, st := range p.Status.ContainerStatuses {
				if st.RestartCount > 0 && st.LastTerminationState.Terminated != nil {
					tm := st.LastTerminationState.Terminated
					killed = fmt.Sprintf("CSI plugin container %s/%s restarted: %s (exit code %d)", p.Name, st.Name, tm.Reason, tm.ExitCode)
					return true, nil
				}
			}
		}
		logs, err := stack.PodLogs(ctx, kube, seedNS, pod)
		return err == nil && strings.Contains(logs, want), nil
	})
	if killed != "" {
		return errors.New(killed)
	}
	if err != nil {
		return fmt.Errorf("pod %s never logged %q: %w", pod, want, err)
	}
	return nil
}

// memoryFigures are the memory cgroup's figures of the CSI plugin container, in bytes.
type memoryFigures struct {
	cgroup                    string
	usage, shmem, anon, limit int64
}

func (m memoryFigures) String() string {
	return fmt.Sprintf("cgroup %s: usage %.1f MiB (shmem %.1f MiB, anonymous %.1f MiB), limit %.0f MiB",
		m.cgroup, mib(m.usage), mib(m.shmem), mib(m.anon), mib(m.limit))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// pluginMemory reads the memory cgroup of this stack's CSI plugin process (cgroup v1 or v2).
func pluginMemory(t *testing.T) memoryFigures {
	t.Helper()
	pid := pluginPID(t)
	b, err := os.ReadFile(filepath.Join("/proc", pid, "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	var m memoryFigures
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(l, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case strings.Contains(","+parts[1]+",", ",memory,"):
			dir := filepath.Join("/sys/fs/cgroup/memory", parts[2])
			m = memoryFigures{
				cgroup: parts[2], usage: readInt(t, dir, "memory.usage_in_bytes"),
				shmem: statField(t, dir, "shmem"), anon: statField(t, dir, "rss"), limit: readInt(t, dir, "memory.limit_in_bytes"),
			}
			return m
		case parts[0] == "0" && parts[1] == "":
			dir := filepath.Join("/sys/fs/cgroup", parts[2])
			m = memoryFigures{
				cgroup: parts[2], usage: readInt(t, dir, "memory.current"),
				shmem: statField(t, dir, "shmem"), anon: statField(t, dir, "anon"), limit: readInt(t, dir, "memory.max"),
			}
		}
	}
	if m.cgroup == "" {
		t.Fatalf("no memory cgroup for pid %s in:\n%s", pid, b)
	}
	return m
}

// pluginPID finds the CSI plugin process of this stack by its --kubelet-dir flag.
func pluginPID(t *testing.T) string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) == "csi-driver" && strings.Contains(string(b), "--kubelet-dir="+stk.Env.KubeletDir+"\x00") {
			return filepath.Base(filepath.Dir(p))
		}
	}
	t.Fatal("no csi-driver process of this stack")
	return ""
}

func readInt(t *testing.T, dir, file string) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return -1
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s/%s: %v", dir, file, err)
	}
	return n
}

// statField reads one line of memory.stat.
func statField(t *testing.T, dir, field string) int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "memory.stat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok && k == field {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("%s/memory.stat has no %s", dir, field)
	return 0
}
