// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// watchPID1 prints which program is PID 1 of the container.
const watchPID1 = `read p1 < /proc/1/comm; echo "pid1=$p1"; `

// In a watch mode the injector (for watch-for-data its watcher, which it executes in its
// place) is PID 1 of the container and does what an init does: the container ends with the
// application's exit status, orphaned processes are reaped, and a SIGTERM sent to PID 1
// reaches the application.
func TestInjectWatchPID1(t *testing.T) {
	setupWatch(t)
	steady := env("VALUE", watchRef("steady", "VALUE"))
	t.Run("the application's exit status is the container's", func(t *testing.T) {
		t.Parallel()
		pod := watchPod("pid1-exit", watchPID1+`echo "VALUE=$VALUE"; exit 7`, corev1.RestartPolicyNever, steady)
		phase, logs := runInjected(t, pod)
		watchRequireInjectorPID1(t, logs)
		_, st, err := watchApp(t.Context(), watchNS, pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		if phase != corev1.PodFailed || st == nil || st.State.Terminated == nil || st.State.Terminated.ExitCode != 7 {
			t.Fatalf("phase %s, container app %s; want Failed with exit code 7; log:\n%s", phase, watchDescribe(st), logs)
		}
		if !watchHasLine(logs, "VALUE="+watchSteadyValue) {
			t.Errorf("the application did not get its value; log:\n%s", logs)
		}
	})
	t.Run("orphans are reaped", func(t *testing.T) {
		t.Parallel()
		// Each ( … &) leaves a sleep whose parent is gone: it becomes a child of PID 1. The
		// first listing shows them there, the second after they ended.
		script := watchPID1 + `(sleep 2 &); (sleep 2 &); (sleep 2 &); echo ---ORPHANS---; ps -o pid,ppid,stat,comm; ` +
			`sleep 5; echo ---PS---; ps -o pid,ppid,stat,comm`
		phase, logs := runInjected(t, watchPod("pid1-reap", script, corev1.RestartPolicyNever, steady))
		watchRequireInjectorPID1(t, logs)
		if phase != corev1.PodSucceeded {
			t.Fatalf("phase %s, want Succeeded; log:\n%s", phase, logs)
		}
		orphans, final, _ := strings.Cut(formsBetween(logs, "---ORPHANS---", ""), "---PS---\n")
		adopted := 0
		for _, p := range watchPS(orphans) {
			if p.ppid == "1" && p.comm == "sleep" {
				adopted++
			}
		}
		if adopted == 0 {
			t.Fatalf("no orphaned sleep became a child of PID 1, so nothing tests the reaping; log:\n%s", logs)
		}
		procs := watchPS(final)
		for _, p := range procs {
			if strings.HasPrefix(p.stat, "Z") {
				t.Errorf("process %s (%s) is a zombie: PID 1 did not reap it; log:\n%s", p.pid, p.comm, logs)
			}
		}
		if len(procs) < 2 || procs[0].pid != "1" || procs[0].comm != envcontract.WatcherBinaryName {
			t.Errorf("ps listed %d processes, want PID 1 (%s) first and more; log:\n%s", len(procs), envcontract.WatcherBinaryName, logs)
		}
	})
	t.Run("SIGTERM to PID 1 reaches the application", func(t *testing.T) {
		t.Parallel()
		script := `trap 'echo got-TERM; exit 0' TERM; ` + watchPID1 + `echo ready; while true; do sleep 1; done`
		pod := watchPod("pid1-term", script, corev1.RestartPolicyNever, steady)
		watchCreate(t, pod)
		watchWait(t, watchNS, pod.Name, 0, "ready", 2*time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := watchExec(ctx, watchNS, pod.Name, "app", "kill", "-TERM", "1"); err != nil {
			t.Fatal(err)
		}
		phase, err := stack.WaitPodDone(t.Context(), kube, watchNS, pod.Name, time.Minute)
		logs, _ := formsLogs(t.Context(), watchNS, pod.Name, "app", false)
		if err != nil {
			t.Fatalf("%v; log:\n%s", err, logs)
		}
		watchRequireInjectorPID1(t, logs)
		_, st, err := watchApp(t.Context(), watchNS, pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		if phase != corev1.PodSucceeded || !watchHasLine(logs, "got-TERM") || st == nil || st.State.Terminated == nil || st.State.Terminated.ExitCode != 0 {
			t.Fatalf("phase %s, container app %s; want the trap's line got-TERM and Succeeded with its exit code 0; log:\n%s",
				phase, watchDescribe(st), logs)
		}
	})
}

// watchRequireInjectorPID1 fails unless the log shows that the injector's watcher was PID 1
// (watch-for-data hands the watch over to it): otherwise the test would check the shell, or
// an injector that kept the watch, not what a pod runs.
func watchRequireInjectorPID1(t *testing.T, logs string) {
	t.Helper()
	if !watchHasLine(logs, "pid1="+envcontract.WatcherBinaryName) {
		t.Fatalf("PID 1 of the container was not %s (watch-for-data hands the watch over to it); log:\n%s", envcontract.WatcherBinaryName, logs)
	}
}

// watchProc is a line of busybox's ps -o pid,ppid,stat,comm.
type watchProc struct{ pid, ppid, stat, comm string }

// watchPS parses the output of ps -o pid,ppid,stat,comm after its header. The container log
// interleaves the watcher's own log lines (stderr) with the script's output, so only lines
// whose PID and PPID are numbers are processes.
func watchPS(out string) []watchProc {
	var procs []watchProc
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		procs = append(procs, watchProc{pid: f[0], ppid: f[1], stat: f[2], comm: f[3]})
	}
	return procs
}
