// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaults(t *testing.T) {
	c, err := ParseFlags([]string{"--node-name=node-1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"driver", c.DriverName, "secrets-store.csi.deckhouse.io"},
		{"endpoint", c.Endpoint, "/csi/csi.sock"},
		{"registration endpoint", c.RegistrationEndpoint, "/var/lib/kubelet/plugins/secrets-store.csi.deckhouse.io/csi.sock"},
		{"registration socket", c.RegistrationSocket(), "/var/lib/kubelet/plugins_registry/secrets-store.csi.deckhouse.io-reg.sock"},
		{"state dir", c.StateDir, "/var/lib/kubelet/plugins/secrets-store.csi.deckhouse.io/state"},
		{"staging dir", c.StagingDir, "/var/lib/kubelet/plugins/secrets-store.csi.deckhouse.io/staging"},
		{"injector file", c.InjectorFile, ""},
		{"injector dir", c.InjectorDir, "/var/lib/kubelet/plugins/secrets-store.csi.deckhouse.io/injector"},
		{"token audience", c.TokenAudience, ""},
		{"rotation", c.RotationInterval, 2 * time.Minute},
		{"tmpfs", c.TmpfsSize, int64(4 << 20)},
		{"auth path", c.Store.AuthPath, "kubernetes_local"},
		{"timeout", c.Store.Timeout, 10 * time.Second},
		{"health", c.HealthListen, ":9808"},
		{"log level", c.LogLevel, slog.LevelInfo},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if c.Version == "" {
		t.Error("version is empty")
	}
}

func TestParseFlags(t *testing.T) {
	c, err := ParseFlags([]string{
		"--node-name=n", "--endpoint=unix:///run/csi/csi.sock", "--kubelet-dir=/data/kubelet",
		"--tmpfs-size=1Mi", "--rotation-interval=90s", "--log-level=DEBUG", "--store-addr=https://s.example:8200",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "/run/csi/csi.sock" || c.TmpfsSize != 1<<20 || c.RotationInterval != 90*time.Second ||
		c.LogLevel != slog.LevelDebug || c.StateDir != "/data/kubelet/plugins/secrets-store.csi.deckhouse.io/state" {
		t.Errorf("got %+v", c)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{}, "node name is empty"},
		{[]string{"--node-name=n", "--rotation-interval=2"}, "invalid value"},
		{[]string{"--node-name=n", "--tmpfs-size=lots"}, "--tmpfs-size"},
		{[]string{"--node-name=n", "--tmpfs-size=1Ki"}, "tmpfs size 1024 is smaller"},
		{[]string{"--node-name=n", "--log-level=loud"}, "--log-level"},
		{[]string{"--node-name=n", "--store-addr=ftp://x"}, "scheme must be https or http"},
		{[]string{"--node-name=n", "--state-dir=state"}, "not an absolute path"},
		{[]string{"--node-name=n", "extra"}, "unexpected arguments"},
	} {
		_, err := ParseFlags(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}
