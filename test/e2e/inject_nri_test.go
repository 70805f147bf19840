// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// With env-delivery NRI the container runtime sets the variables: the webhook leaves the
// command alone (so a container without a command needs no registry), adds no init
// container, and the value reaches the application through containerd's NRI plugin in the
// CSI driver, with the pod's token from kubelet. Nothing of the value is in the pod object
// or its events.
func TestNRIEnvDelivery(t *testing.T) {
	setupForms(t)
	script := `echo "PASS=$PASS"; echo "PLAIN=$PLAIN"; echo "CONTROL=$(env | grep -c '^SECRETS_STORE_')"`
	env := []corev1.EnvVar{{Name: "PASS", Value: formsRef("db", "password")}, {Name: "PLAIN", Value: "plain"}}
	for _, tc := range []struct {
		name      string
		noCommand bool
	}{
		{name: "nri-command"},
		// Only args: the image's entrypoint, which nobody looked up, runs them.
		{name: "nri-no-command", noCommand: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := formsPod(tc.name, script, map[string]string{"env-delivery": "NRI"}, env...)
			if tc.noCommand {
				c := &pod.Spec.Containers[0]
				c.Args = append(slices.Clone(c.Command), c.Args...)
				c.Command = nil
			}
			want := pod.Spec.Containers[0].DeepCopy()
			phase, logs := formsRun(t, pod)
			if phase != corev1.PodSucceeded || !strings.Contains(logs, "PASS="+formsPassTwo) {
				t.Fatalf("phase %s, want Succeeded with the secret; log:\n%s", phase, formsRedact(logs, "PASS"))
			}
			if !strings.Contains(logs, "PLAIN=plain") || !strings.Contains(logs, "CONTROL=0") {
				t.Errorf("plain variable lost or control variables in the container; log:\n%s", formsRedact(logs, "PASS"))
			}
			stored := formsStored(t, formsNS, pod.Name)
			app := formsContainer(t, stored, "app")
			if !slices.Equal(app.Command, want.Command) || !slices.Equal(app.Args, want.Args) {
				t.Errorf("command %q args %q, want %q %q", app.Command, app.Args, want.Command, want.Args)
			}
			if len(stored.Spec.InitContainers) != 0 {
				t.Errorf("%d init containers, want none", len(stored.Spec.InitContainers))
			}
			hasVolume := slices.ContainsFunc(stored.Spec.Volumes, func(v corev1.Volume) bool {
				return v.Name == envcontract.EnvVolumeName && v.CSI != nil && v.CSI.Driver == stack.CSIDriverName
			})
			if !hasVolume {
				t.Error("no environment volume of the CSI driver")
			}
			b, err := json.Marshal(stored)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), formsPassTwo) {
				t.Error("the secret value is in the pod object")
			}
			evs, err := kube.CoreV1().Events(formsNS).List(t.Context(), metav1.ListOptions{
				FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod.Name).String(),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs.Items {
				if strings.Contains(e.Message, formsPassTwo) {
					t.Errorf("the secret value is in event %s", e.Reason)
				}
			}
		})
	}
}

// A restarted container is created again, so the NRI plugin resolves it again: it gets the
// value the store holds then, with no watch mode and no injector in the container.
func TestNRIRestartGetsCurrentValue(t *testing.T) {
	setupForms(t)
	ctx := t.Context()
	one, two := secretValue("nri-restart-one"), secretValue("nri-restart-two")
	if _, err := stk.PutKV2(ctx, formsKV, "nri-restart", map[string]any{"K": one}); err != nil {
		t.Fatal(err)
	}
	// The first run prints the value, leaves a mark and fails; the second prints and succeeds.
	script := `echo "K=$K"; if [ -e /state/ran ]; then exit 0; fi; touch /state/ran; sleep 5; exit 1`
	pod := createRestartingNRIPod(t, "nri-restart", script, corev1.EnvVar{Name: "K", Value: formsRef("nri-restart", "K")})
	err := stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		logs, err := formsLogs(ctx, pod.Namespace, pod.Name, "app", false)
		return err == nil && strings.Contains(logs, "K="+one), nil
	})
	if err != nil {
		t.Fatalf("the first run did not print the first value: %v", err)
	}
	if _, err := stk.PutKV2(ctx, formsKV, "nri-restart", map[string]any{"K": two}); err != nil {
		t.Fatal(err)
	}
	phase, logs := formsDone(t, pod, 2*time.Minute)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "K="+two) {
		t.Fatalf("phase %s, want Succeeded with the second value after the restart; log:\n%s", phase, formsRedact(logs, "K"))
	}
	stored := formsStored(t, formsNS, pod.Name)
	if n := stored.Status.ContainerStatuses[0].RestartCount; n != 1 {
		t.Errorf("restart count %d, want 1", n)
	}
}

// createRestartingNRIPod creates an NRI pod whose container runs script with env, is restarted
// on failure and keeps a mark across its runs in an emptyDir at /state; the pod is deleted at
// the end of the test.
func createRestartingNRIPod(t *testing.T, name, script string, env ...corev1.EnvVar) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	pod := formsPod(name, script, map[string]string{"env-delivery": "NRI"}, env...)
	pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	pod.Spec.Volumes = []corev1.Volume{{Name: "state", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "state", MountPath: "/state"}}
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, pod.Namespace, pod.Name) })
	if err := stack.DeletePod(ctx, kube, pod.Namespace, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return pod
}

// The seed's myapp1 (env-from-path with two paths) and myapp2 (references) with
// env-delivery NRI give the same environment as the entrypoint injection; a reference that
// cannot be resolved keeps the container from being created, with the reason in its status.
func TestNRISeedForms(t *testing.T) {
	setupModule(t)
	nri := map[string]string{"env-delivery": "NRI"}
	myapp1 := injectedPod("nri-myapp1", map[string]string{
		"env-delivery":  "NRI",
		"env-from-path": seedKV + "/data/common-secret," + seedKV + "/data/myapp-secret",
	})
	myapp2 := injectedPod("nri-myapp2", nri,
		env("DB_USER", "secrets-store:"+seedKV+"/data/myapp-secret#DB_USER"),
		env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"),
		env("PLAIN", "left-alone"))
	for _, tc := range []struct {
		pod          *corev1.Pod
		want, absent []string
	}{
		{myapp1, []string{"COMMON_SETTING=shared", "DB_USER=username", "DB_PASS=secret-password"}, []string{"SECRETS_STORE_", "common-user"}},
		{myapp2, []string{"DB_USER=username", "DB_PASS=secret-password", "PLAIN=left-alone"}, []string{"secrets-store:", "SECRETS_STORE_"}},
	} {
		t.Run(tc.pod.Name, func(t *testing.T) {
			phase, logs := runInjected(t, tc.pod)
			if phase != corev1.PodSucceeded {
				t.Fatalf("phase %s; log:\n%s", phase, logs)
			}
			for _, w := range tc.want {
				if !strings.Contains(logs, w) {
					t.Errorf("log lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(logs, a) {
					t.Errorf("log contains %q", a)
				}
			}
		})
	}
	t.Run("missing key", func(t *testing.T) {
		pod := injectedPod("nri-missing", nri,
			env("NOPE", "secrets-store:"+seedKV+"/data/myapp-secret#NOPE"),
			env("DB_PASS", "secrets-store:"+seedKV+"/data/myapp-secret#DB_PASS"))
		ctx := t.Context()
		t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, pod.Namespace, pod.Name) })
		if _, err := kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var msg string
		err := stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
			p, err := kube.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil || len(p.Status.ContainerStatuses) == 0 {
				return false, nil
			}
			st := p.Status.ContainerStatuses[0]
			if st.State.Waiting != nil && st.State.Waiting.Reason == "CreateContainerError" {
				msg = st.State.Waiting.Message
				return true, nil
			}
			if st.State.Running != nil || st.State.Terminated != nil {
				return false, fmt.Errorf("the container started with a reference unresolved")
			}
			return false, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"NOPE", "myapp-secret#NOPE", "not resolved"} {
			if !strings.Contains(msg, w) {
				t.Errorf("status message %q lacks %q", msg, w)
			}
		}
		if strings.Contains(msg, "secret-password") {
			t.Error("the status message holds a secret value")
		}
	})
}

// The CSI plugin, and with it the NRI plugin and the tokens it held in memory, is killed
// while an NRI pod runs: the new plugin connects to containerd again, the pod's restarted
// container is resolved with the token kubelet hands over at its next publish, and a new pod
// starts as before.
func TestNRIPluginRestart(t *testing.T) {
	setupForms(t)
	ctx := t.Context()
	// The first run outlives the plugin's restart, then fails; the second prints and succeeds.
	script := `if [ -e /state/ran ]; then echo "PASS=$PASS"; exit 0; fi; touch /state/ran; sleep 15; exit 1`
	pod := createRestartingNRIPod(t, "nri-plugin-restart", script, corev1.EnvVar{Name: "PASS", Value: formsRef("db", "password")})
	if err := stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		p, err := kube.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		return err == nil && p.Status.Phase == corev1.PodRunning, nil
	}); err != nil {
		t.Fatalf("pod not running: %v", err)
	}
	if err := mod.KillCSIPlugin(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mod.WaitCSIPlugin(ctx); err != nil {
		t.Fatal(err)
	}
	phase, logs := formsDone(t, pod, 3*time.Minute)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "PASS="+formsPassTwo) {
		t.Fatalf("restarted container after the plugin's restart: phase %s; log:\n%s", phase, formsRedact(logs, "PASS"))
	}
	// Which way the restart went depends on timing: kubelet's republish reached the new
	// plugin before CreateContainer, or the container was refused until it did. Both are
	// right; the log says which one this run took.
	if evs, err := kube.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod.Name).String(),
	}); err == nil {
		refused := 0
		for _, e := range evs.Items {
			if strings.Contains(e.Message, "has not reached the node's secrets-store plugin") {
				refused += int(max(e.Count, 1))
			}
		}
		t.Logf("CreateContainer refused %d time(s) until kubelet republished the environment volume", refused)
	}
	fresh := formsPod("nri-new-pod", `echo "PASS=$PASS"`, map[string]string{"env-delivery": "NRI"},
		corev1.EnvVar{Name: "PASS", Value: formsRef("db", "password")})
	phase, logs = formsRun(t, fresh)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "PASS="+formsPassTwo) {
		t.Fatalf("new pod after the plugin's restart: phase %s; log:\n%s", phase, formsRedact(logs, "PASS"))
	}
}

// With the NRI plugin not connected on the node (here: the CSI plugin pointed at a socket no
// runtime serves, as on a node whose containerd has NRI off), an NRI pod waits: its
// volume is not published, a FailedMount event says why, and no container starts. Once the
// plugin connects, kubelet's retry publishes the volume and the pod runs with its value.
func TestNRIAbsentPodWaits(t *testing.T) {
	setupForms(t)
	if os.Getenv("E2E_MODULE") != "" && os.Getenv("E2E_MODULE") != "chart" {
		t.Skip("needs the module installed from the chart")
	}
	ctx := t.Context()
	setSocket := func(rewrite func(string) string) {
		t.Helper()
		dss, err := kube.AppsV1().DaemonSets(modulechart.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "app=csi-driver"})
		if err != nil || len(dss.Items) != 1 {
			t.Fatalf("CSI DaemonSet: %v (%d found)", err, len(dss.Items))
		}
		ds := &dss.Items[0]
		c := &ds.Spec.Template.Spec.Containers[0]
		for i, a := range c.Args {
			if v, ok := strings.CutPrefix(a, "--nri-socket="); ok {
				c.Args[i] = "--nri-socket=" + rewrite(v)
			}
		}
		// The DaemonSet controller replaces the pod; WaitCSIPlugin waits for the new one.
		if _, err := kube.AppsV1().DaemonSets(ds.Namespace).Update(ctx, ds, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := mod.WaitCSIPlugin(ctx); err != nil {
			t.Fatal(err)
		}
	}
	absent := func(s string) string { return filepath.Join(filepath.Dir(s), "absent-nri.sock") }
	setSocket(absent)
	restored := false
	restore := func() {
		if !restored {
			restored = true
			setSocket(func(string) string { return stk.Env.NRISocket })
		}
	}
	t.Cleanup(restore)

	pod := formsPod("nri-absent", `echo "PASS=$PASS"`, map[string]string{"env-delivery": "NRI"},
		corev1.EnvVar{Name: "PASS", Value: formsRef("db", "password")})
	t.Cleanup(func() { _ = stack.DeletePod(context.WithoutCancel(ctx), kube, pod.Namespace, pod.Name) })
	if err := stack.DeletePod(ctx, kube, pod.Namespace, pod.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var event string
	if err := stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		evs, err := kube.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod.Name).String(),
		})
		if err != nil {
			return false, nil
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedMount" && strings.Contains(e.Message, "NRI plugin is not connected") {
				event = e.Message
				return true, nil
			}
		}
		return false, nil
	}); err != nil {
		t.Fatalf("no FailedMount event about the NRI plugin: %v", err)
	}
	t.Logf("event: %s", event)
	for _, w := range []string{"the pod waits", "absent-nri.sock"} {
		if !strings.Contains(event, w) {
			t.Errorf("event lacks %q", w)
		}
	}
	p := formsStored(t, pod.Namespace, pod.Name)
	for _, st := range p.Status.ContainerStatuses {
		if st.State.Running != nil || st.State.Terminated != nil {
			t.Fatalf("container %s started without the NRI plugin", st.Name)
		}
	}
	restore()
	phase, logs := formsDone(t, pod, 3*time.Minute)
	if phase != corev1.PodSucceeded || !strings.Contains(logs, "PASS="+formsPassTwo) {
		t.Fatalf("after the plugin connected: phase %s; log:\n%s", phase, formsRedact(logs, "PASS"))
	}
}
