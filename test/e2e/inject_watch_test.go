// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// watchDataPod is one pod of TestInjectWatchData.
type watchDataPod struct {
	name    string
	restart corev1.RestartPolicy
	ref     string
	changes bool // its value changes during the test
}

// watch-for-data: when a value a container uses changes in the store, the injector stops the
// application and exits 1, and kubelet starts the container again, which gets the new value.
// That happens once per change, with restartPolicy Always and OnFailure alike; containers
// whose values stay the same are never restarted, even when another key of the same secret
// changes.
func TestInjectWatchData(t *testing.T) {
	setupWatch(t)
	ctx := t.Context()
	oldValue, newValue := secretValue("watch-old-value"), secretValue("watch-new-value")
	const otherKey = "watch-other-key"
	if _, err := stk.PutKV2(ctx, watchKV, "changing", map[string]any{"VALUE": oldValue, "OTHER": otherKey}); err != nil {
		t.Fatal(err)
	}
	pods := []watchDataPod{
		{name: "data-always", restart: corev1.RestartPolicyAlways, ref: watchRef("changing", "VALUE"), changes: true},
		{name: "data-onfailure", restart: corev1.RestartPolicyOnFailure, ref: watchRef("changing", "VALUE"), changes: true},
		{name: "data-steady", restart: corev1.RestartPolicyAlways, ref: watchRef("steady", "VALUE")},
		{name: "data-other-key", restart: corev1.RestartPolicyAlways, ref: watchRef("changing", "OTHER")},
	}
	first := map[string]string{
		"data-always": oldValue, "data-onfailure": oldValue, "data-steady": watchSteadyValue, "data-other-key": otherKey,
	}
	for _, p := range pods {
		watchCreate(t, watchPod(p.name, `echo "VALUE=$VALUE"; exec sleep 100000`, p.restart, env("VALUE", p.ref)))
	}
	var lastStart time.Time
	for _, p := range pods {
		st := watchWait(t, watchNS, p.name, 0, "VALUE="+first[p.name], 2*time.Minute)
		if st.RestartCount != 0 {
			t.Fatalf("pod %s restarted before the secret changed: %s", p.name, watchDescribe(st))
		}
		lastStart = watchLater(lastStart, st.State.Running.StartedAt.Time)
	}

	if _, err := stk.PutKV2(ctx, watchKV, "changing", map[string]any{"VALUE": newValue, "OTHER": otherKey}); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	hold := map[string]int32{}
	for _, p := range pods {
		hold[p.name] = 0
		if !p.changes {
			continue
		}
		hold[p.name] = 1
		st := watchWait(t, watchNS, p.name, 1, "VALUE="+newValue, 3*time.Minute)
		t.Logf("pod %s (restartPolicy %s): restarted with the new value %s after the change (poll interval %s, grace %ds)",
			p.name, p.restart, time.Since(changed).Round(time.Second), watchPoll, watchGrace)
		watchCheckStopped(t, p.name, st, oldValue)
	}
	// Once per change: the new containers see no change. The others see none at all, for
	// five polls since the last of them started at least.
	until := watchLater(time.Now().Add(3*watchPollMax), lastStart.Add(5*watchPollMax))
	watchHold(t, watchNS, hold, until)
}

// watchCheckStopped checks how the container before the restart ended: the injector exited
// 1, and the container had printed the old value.
func watchCheckStopped(t *testing.T, name string, st *corev1.ContainerStatus, oldValue string) {
	t.Helper()
	if term := st.LastTerminationState.Terminated; term == nil || term.ExitCode != 1 {
		t.Errorf("pod %s: the container before the restart ended %+v, want exit code 1", name, st.LastTerminationState)
	}
	prev, err := formsLogs(t.Context(), watchNS, name, "app", true)
	if err != nil {
		t.Fatal(err)
	}
	if !watchHasLine(prev, "VALUE="+oldValue) {
		t.Errorf("pod %s: the log of the container before the restart lacks the old value; log:\n%s", name, prev)
	}
}

func watchLater(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
