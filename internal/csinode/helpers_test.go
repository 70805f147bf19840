// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// base64Wrapped is what "base64" without -w0 prints: lines of 76 characters.
func base64Wrapped(b []byte) string {
	s := base64Std(b)
	var out strings.Builder
	for len(s) > 76 {
		out.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

// secretMarkers must never appear in a log line, an Event or an error.
var secretMarkers = []string{"JWT-SECRET", "TOKEN-SECRET", "VALUE-SECRET", base64Std(binaryValue)[:40]}

func checkNoSecrets(t testing.TB, what, s string) {
	t.Helper()
	for _, m := range secretMarkers {
		if strings.Contains(s, m) {
			t.Errorf("%s contains secret material %q:\n%s", what, m, s)
		}
	}
}

// harness is a Service with fakes around it and the fake store behind the
// real store client.
type harness struct {
	t       testing.TB
	store   *fakeStore
	ssis    *fakeSSIs
	events  *fakeEvents
	mounter *fakeMounter
	// tmpfs, when set, replaces mounter: real mounts (root only).
	tmpfs *Tmpfs
	clock *fakeClock
	logs  *syncBuffer
	cfg   Config
	svc   *Service
	seq   int
	// nodes are the nodes that exist besides the harness's own.
	nodes map[string]bool
	// env is the NRI plugin of environment volumes; nil: none.
	env EnvDelivery
}

func (h *harness) nodeExists(_ context.Context, name string) (bool, error) {
	return name == h.cfg.NodeID || h.nodes[name], nil
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	root := t.TempDir()
	h := &harness{
		t:       t,
		store:   newFakeStore(t),
		ssis:    &fakeSSIs{m: map[string]*ssi.SecretsStoreImport{}},
		events:  &fakeEvents{},
		mounter: newFakeMounter(),
		clock:   &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)},
		logs:    &syncBuffer{},
	}
	h.cfg = Config{
		DriverName: DefaultDriverName, Version: "1.2.3", NodeID: "node-1",
		Endpoint: filepath.Join(root, "csi.sock"), KubeletDir: root, StateDir: filepath.Join(root, "state"),
		StagingDir:       filepath.Join(root, "staging"),
		RotationInterval: DefaultRotationInterval, TmpfsSize: DefaultTmpfsSize,
		Store: StoreDefaults{Address: h.store.srv.URL, AuthPath: DefaultStoreAuthPath, CAFile: h.store.caFile},
	}
	h.store.set(func(f *fakeStore) { f.now = h.clock.now })
	h.ssis.put(testSSI("myapp-ssi"))
	h.start()
	t.Cleanup(func() {
		checkNoSecrets(t, "log", h.logs.String())
		for _, e := range h.events.list() {
			checkNoSecrets(t, "event", e.note)
		}
	})
	return h
}

// start creates a new Service on the harness's state, as a restart would.
func (h *harness) start() {
	h.t.Helper()
	var m Mounter = h.mounter
	if h.tmpfs != nil {
		m = h.tmpfs
	}
	svc, err := NewService(h.cfg, Deps{
		SSI: h.ssis, Status: h.ssis, NodeExists: h.nodeExists, Events: h.events, Mounter: m, Registry: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:  h.clock.now, Env: h.env,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
}

type reqOption func(r *csi.NodePublishVolumeRequest)

func withSSI(name string) reqOption {
	return func(r *csi.NodePublishVolumeRequest) { r.VolumeContext[AttrSecretsStoreImport] = name }
}

func withSA(sa, jwt string) reqOption {
	return func(r *csi.NodePublishVolumeRequest) {
		r.VolumeContext[ctxServiceAccount] = sa
		r.VolumeContext[ctxTokens] = tokensJSON(map[string]string{"": jwt})
	}
}

func withGroup(gid int) reqOption {
	return func(r *csi.NodePublishVolumeRequest) {
		r.VolumeCapability.GetMount().VolumeMountGroup = fmt.Sprint(gid)
	}
}

func tokensJSON(byAudience map[string]string) string {
	m := map[string]map[string]string{}
	for aud, tok := range byAudience {
		m[aud] = map[string]string{"token": tok, "expirationTimestamp": "2026-11-23T13:00:00Z"}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// request builds the request kubelet would send for a new pod's volume.
func (h *harness) request(opts ...reqOption) *csi.NodePublishVolumeRequest {
	h.t.Helper()
	h.seq++
	uid := fmt.Sprintf("pod-uid-%04d", h.seq)
	target := filepath.Join(h.cfg.KubeletDir, "pods", uid, "volumes", "kubernetes.io~csi", "secrets", "mount")
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		h.t.Fatal(err)
	}
	r := &csi.NodePublishVolumeRequest{
		VolumeId:   "csi-" + uid,
		TargetPath: target,
		VolumeCapability: &csi.VolumeCapability{
			AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
			AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
		},
		VolumeContext: map[string]string{
			ctxPodName:             fmt.Sprintf("myapp-%d", h.seq),
			ctxPodNamespace:        "myapp-namespace",
			ctxPodUID:              uid,
			ctxServiceAccount:      "myapp-sa",
			ctxEphemeral:           "true",
			ctxTokens:              tokensJSON(map[string]string{"": jwtApp}),
			AttrSecretsStoreImport: "myapp-ssi",
		},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func (h *harness) publish(r *csi.NodePublishVolumeRequest) error {
	h.t.Helper()
	_, err := h.svc.NodePublishVolume(h.t.Context(), r)
	if err != nil {
		checkNoSecrets(h.t, "error", err.Error())
	}
	return err
}

func (h *harness) mustPublish(r *csi.NodePublishVolumeRequest) {
	h.t.Helper()
	if err := h.publish(r); err != nil {
		h.t.Fatalf("publish: %v", err)
	}
}

func (h *harness) unpublish(r *csi.NodePublishVolumeRequest) error {
	_, err := h.svc.NodeUnpublishVolume(h.t.Context(), &csi.NodeUnpublishVolumeRequest{VolumeId: r.VolumeId, TargetPath: r.TargetPath})
	return err
}

// readFile reads a published file through its top-level link.
func readFile(t testing.TB, target, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(target, name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return string(b)
}

func dataLink(t testing.TB, target string) string {
	t.Helper()
	l, err := os.Readlink(filepath.Join(target, "..data"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func counter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func gauge(t testing.TB, g prometheus.Gauge) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}
