// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package nriplugin

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/nri/pkg/api"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/injector"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

func TestCreateContainerSetsResolvedEnv(t *testing.T) {
	f := newFakeStore()
	p, _, logs := newTestPlugin(t, f)
	env := []string{
		"DB_PASS=secrets-store:demo-kv/data/myapp#DB_PASS",
		"PLAIN=unchanged",
	}
	pod := testPod()
	// A forged service account in the settings: only kubelet's is used.
	pod.Annotations[envcontract.NRISettingsAnnotation] = strings.Replace(pod.Annotations[envcontract.NRISettingsAnnotation],
		"demo/myapp-sa", "other/forged", 1)
	ctr := &api.Container{Name: "app", Env: env}
	adj, upd, err := p.CreateContainer(t.Context(), pod, ctr)
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if len(upd) != 0 {
		t.Errorf("updates = %v, want none", upd)
	}
	got := envMap(env, adj)
	if got["DB_PASS"] != secretPass {
		t.Errorf("DB_PASS = %q, want the secret", got["DB_PASS"])
	}
	if got["PLAIN"] != "unchanged" {
		t.Errorf("PLAIN = %q", got["PLAIN"])
	}
	for k := range got {
		if strings.HasPrefix(k, "SECRETS_STORE_") {
			t.Errorf("control variable %s in the container", k)
		}
	}
	// Only what changed is adjusted: PLAIN is not touched.
	for _, e := range adj.GetEnv() {
		if e.GetKey() == "PLAIN" {
			t.Errorf("PLAIN adjusted")
		}
	}
	if len(f.logins) != 1 || f.logins[0].ServiceAccount != "demo/myapp-sa" || f.jwts[0] != podToken {
		t.Errorf("login = %+v (jwt matches: %v), want kubelet's service account with the pod's token",
			f.logins, len(f.jwts) == 1 && f.jwts[0] == podToken)
	}
	if !strings.Contains(logs.String(), "container environment set") {
		t.Errorf("log lacks the success line:\n%s", logs)
	}
	assertNoSecrets(t, logs.String())
}

func TestCreateContainerEnvFromPathAndTemplate(t *testing.T) {
	f := newFakeStore()
	p, _, logs := newTestPlugin(t, f)
	// myapp2 form: all keys of a path, plus a template.
	env := []string{"DSN=postgres://{{ secret \"demo-kv/data/myapp\" \"DB_USER\" }}@db"}
	adj, _, err := p.CreateContainer(t.Context(), testPod("SECRETS_STORE_ENV_FROM_PATH=demo-kv/data/myapp"),
		&api.Container{Name: "app", Env: env})
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	got := envMap(env, adj)
	if got["DB_PASS"] != secretPass || got["DB_USER"] != secretUser {
		t.Errorf("env-from-path keys not set: DB_PASS ok=%v DB_USER ok=%v", got["DB_PASS"] == secretPass, got["DB_USER"] == secretUser)
	}
	assertNoSecrets(t, logs.String())
}

func TestCreateContainerLeavesOthersAlone(t *testing.T) {
	f := newFakeStore()
	p, _, _ := newTestPlugin(t, f)
	ref := []string{"DB_PASS=secrets-store:demo-kv/data/myapp#DB_PASS"}
	other := testPod()
	other.Uid = "other-uid"
	delete(other.Annotations, envcontract.NRISettingsAnnotation)
	for name, tc := range map[string]struct {
		pod *api.PodSandbox
		ctr string
	}{
		// A pod with neither the volume nor the settings.
		"pod not opted in": {other, "app"},
		// A container the webhook skipped (skip-mutate-containers).
		"container not in the settings": {testPod(), "sidecar"},
	} {
		t.Run(name, func(t *testing.T) {
			adj, _, err := p.CreateContainer(t.Context(), tc.pod, &api.Container{Name: tc.ctr, Env: ref})
			if err != nil || len(adj.GetEnv()) != 0 {
				t.Errorf("got %v, %v; want no adjustment and no error", adj, err)
			}
		})
	}
	if f.readCount() != 0 {
		t.Errorf("store read %d times, want 0", f.readCount())
	}
}

func TestCreateContainerRefusesUnresolved(t *testing.T) {
	noSettings := testPod()
	delete(noSettings.Annotations, envcontract.NRISettingsAnnotation)
	badSettings := testPod()
	badSettings.Annotations[envcontract.NRISettingsAnnotation] = `{"env":["PATH=/x"],"containers":["app"]}`
	ref := []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}
	for name, tc := range map[string]struct {
		pod  *api.PodSandbox
		env  []string
		want []string // in the error
	}{
		"missing key":      {testPod(), []string{"X=secrets-store:demo-kv/data/myapp#NOPE"}, []string{"X", "demo-kv/data/myapp#NOPE"}},
		"missing path":     {testPod(), []string{"X=secrets-store:demo-kv/data/gone#K"}, []string{"X", "demo-kv/data/gone"}},
		"malformed ref":    {testPod(), []string{"X=secrets-store:#"}, []string{"X"}},
		"CA file":          {testPod("SECRETS_STORE_CA_FILE=/ca.crt"), ref, []string{"SECRETS_STORE_CA_FILE"}},
		"watch mode":       {testPod("SECRETS_STORE_RESTART_ON=watch-for-data"), ref, []string{"entrypoint injection"}},
		"bad control":      {testPod("SECRETS_STORE_CLIENT_TIMEOUT=soon"), ref, []string{"SECRETS_STORE_CLIENT_TIMEOUT"}},
		"no settings":      {noSettings, ref, []string{envcontract.NRISettingsAnnotation, "env-delivery: NRI"}},
		"bad settings":     {badSettings, ref, []string{envcontract.NRISettingsAnnotation, `"PATH"`}},
		"mixed good / bad": {testPod(), []string{"A=secrets-store:demo-kv/data/myapp#DB_PASS", "B=secrets-store:demo-kv/data/myapp#NOPE"}, []string{"B"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeStore()
			p, _, logs := newTestPlugin(t, f)
			adj, _, err := p.CreateContainer(t.Context(), tc.pod, &api.Container{Name: "app", Env: tc.env})
			if err == nil {
				t.Fatalf("CreateContainer succeeded with %v, want a refusal", adj)
			}
			if adj != nil {
				t.Errorf("adjustment %v returned with the error", adj)
			}
			for _, w := range append(tc.want, "container app of pod demo/myapp1") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoSecrets(t, err.Error(), logs.String())
		})
	}
}

func TestCreateContainerTokenGone(t *testing.T) {
	f := newFakeStore()
	p, pods, logs := newTestPlugin(t, f)
	pods.Set(podUID, "demo/myapp1", "demo/myapp-sa", "/t", "") // kubelet sent none
	_, _, err := p.CreateContainer(t.Context(), testPod(), &api.Container{
		Name: "app",
		Env:  []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"},
	})
	if err == nil || !strings.Contains(err.Error(), errNoPodToken.Error()) {
		t.Errorf("error = %v, want one naming the missing token", err)
	}
	assertNoSecrets(t, logs.String())
}

// After the plugin restarts, its token map is empty until kubelet
// republishes the pods' volumes. A container of an opted-in pod created in
// between is refused (kubelet retries it), never started unresolved; once
// the republish hands the token over, the retry gets the value.
func TestCreateContainerRefusesUntilRepublish(t *testing.T) {
	f := newFakeStore()
	p, pods, logs := newTestPlugin(t, f)
	pods.ForgetTarget("/var/lib/kubelet/pods/" + podUID + "/volumes/x/mount") // as after a restart
	if pods.Len() != 0 {
		t.Fatalf("%d pods known, want none", pods.Len())
	}
	ctr := &api.Container{Name: "app", Env: []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}}
	adj, _, err := p.CreateContainer(t.Context(), testPod(), ctr)
	if !errors.Is(err, errPodUnknown) || adj != nil {
		t.Fatalf("got %v, %v; want a refusal naming the missing token", adj, err)
	}
	for _, w := range []string{"container app of pod demo/myapp1", "kubelet hands it over", "retries"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if f.readCount() != 0 {
		t.Errorf("store read %d times before the token came, want 0", f.readCount())
	}
	pods.Set(podUID, "demo/myapp1", "demo/myapp-sa", "/t", podToken)
	adj, _, err = p.CreateContainer(t.Context(), testPod(), ctr)
	if err != nil || envMap(ctr.Env, adj)["X"] != secretPass {
		t.Errorf("after the republish: err %v, value set %v", err, err == nil && envMap(ctr.Env, adj)["X"] == secretPass)
	}
	assertNoSecrets(t, logs.String())
}

// A slow store must not make the plugin miss the runtime's request timeout:
// containerd would then disconnect it and create the container unresolved.
func TestCreateContainerAnswersBeforeRequestTimeout(t *testing.T) {
	f := newFakeStore()
	f.block = true
	p, _, _ := newTestPlugin(t, f)
	p.requestTimeout.Store(int64(time.Second))
	start := time.Now()
	_, _, err := p.CreateContainer(t.Context(), testPod(), &api.Container{
		Name: "app",
		Env:  []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"},
	})
	if err == nil {
		t.Fatal("CreateContainer succeeded against a store that never answers")
	}
	// The read was bounded to end before the runtime's timeout.
	f.mu.Lock()
	deadline := f.deadline
	f.mu.Unlock()
	if deadline.IsZero() || !deadline.Before(start.Add(time.Second)) {
		t.Errorf("the store read's deadline is %v after the call began, want it before the request timeout (1s)", deadline.Sub(start))
	}
}

func TestAdjustment(t *testing.T) {
	before := []string{"A=1", "SECRETS_STORE_ROLE=r", "B=secrets-store:p#k", "B=second", "junk", "=x", "C=3"}
	after := []string{"A=1", "B=v", "B=second", "C=3", "NEW=n", "NEW=ignored"}
	adj, err := Adjustment(before, after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range adj.GetEnv() {
		got = append(got, e.GetKey()+"="+e.GetValue())
	}
	want := []string{"-SECRETS_STORE_ROLE=", "B=v", "NEW=n"}
	if !slices.Equal(got, want) {
		t.Errorf("adjustment = %q, want %q", got, want)
	}
}

func TestConnected(t *testing.T) {
	p := New(NewPods(), nil, nil)
	if err := p.Connected(); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Connected() = %v before any connection", err)
	}
	_, _ = p.Synchronize(t.Context(), nil, nil)
	if err := p.Connected(); err != nil {
		t.Errorf("Connected() = %v after Synchronize", err)
	}
}

func TestPodsForgetTarget(t *testing.T) {
	pods := NewPods()
	pods.Set("u1", "ns/a", "ns/sa", "/t1", "tok1")
	pods.Set("u2", "ns/b", "ns/sa", "/t2", "tok2")
	if !pods.ForgetTarget("/t1") || pods.ForgetTarget("/t1") || pods.Len() != 1 {
		t.Errorf("ForgetTarget did not drop exactly one pod: len %d", pods.Len())
	}
	if _, err := pods.jwt("u1")(t.Context()); !errors.Is(err, errNoPodToken) {
		t.Errorf("forgotten pod still has a token source: %v", err)
	}
}

func TestAdjustmentRefusesDashNames(t *testing.T) {
	_, err := Adjustment([]string{"-X=secrets-store:p#k"}, []string{"-X=" + secretPass})
	if err == nil || !strings.Contains(err.Error(), `"-X"`) {
		t.Errorf("error = %v, want one naming -X", err)
	}
	assertNoSecrets(t, err.Error())
}

// The plugin runs in the node's network: it reads only from the module's store, so that a
// pod cannot make the node send its token to another address.
func TestCreateContainerRefusesAnotherStore(t *testing.T) {
	other := testPod()
	var s Settings
	if err := json.Unmarshal([]byte(other.Annotations[envcontract.NRISettingsAnnotation]), &s); err != nil {
		t.Fatal(err)
	}
	for i, kv := range s.Env {
		if strings.HasPrefix(kv, "SECRETS_STORE_ADDR=") {
			s.Env[i] = "SECRETS_STORE_ADDR=http://169.254.169.254"
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	other.Annotations[envcontract.NRISettingsAnnotation] = string(b)
	f := newFakeStore()
	p, _, logs := newTestPlugin(t, f)
	_, _, err = p.CreateContainer(t.Context(), other, &api.Container{Name: "app", Env: []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}})
	if err == nil || !strings.Contains(err.Error(), "reads only the module's store") || !strings.Contains(err.Error(), "169.254.169.254") {
		t.Errorf("error = %v, want a refusal naming the pod's address", err)
	}
	if n := f.readCount(); n != 0 {
		t.Errorf("%d store reads, want none", n)
	}
	// The same address with a trailing slash is the module's store.
	_, _, err = p.WithStoreAddress(testStoreAddress+"/").CreateContainer(t.Context(), testPod(),
		&api.Container{Name: "app", Env: []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}})
	if err != nil {
		t.Errorf("module's address with a trailing slash: %v", err)
	}
	// Without the module's address nothing is resolved.
	_, _, err = p.WithStoreAddress("").CreateContainer(t.Context(), testPod(),
		&api.Container{Name: "app", Env: []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}})
	if err == nil || !strings.Contains(err.Error(), "--store-addr") {
		t.Errorf("error = %v, want a refusal naming the missing module store", err)
	}
	assertNoSecrets(t, logs.String())
}

// Containers of one store connection share one store client, whatever
// client timeout their pods ask for: a pod cannot make the plugin keep a
// client of its own.
func TestStoreClientPerConnection(t *testing.T) {
	f := newFakeStore()
	p, _, _ := newTestPlugin(t, f)
	made := 0
	p.readers = func(store.Config) (injector.Reader, error) { made++; return f, nil }
	ctr := &api.Container{Name: "app", Env: []string{"X=secrets-store:demo-kv/data/myapp#DB_PASS"}}
	for _, timeout := range []string{"", "SECRETS_STORE_CLIENT_TIMEOUT=1s", "SECRETS_STORE_CLIENT_TIMEOUT=1100ms"} {
		var extra []string
		if timeout != "" {
			extra = append(extra, timeout)
		}
		if _, _, err := p.CreateContainer(t.Context(), testPod(extra...), ctr); err != nil {
			t.Fatalf("CreateContainer (%q): %v", timeout, err)
		}
	}
	if made != 1 {
		t.Errorf("%d store clients made, want 1", made)
	}
}
