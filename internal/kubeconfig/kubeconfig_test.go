// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package kubeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:6443\"}\n" +
		"contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: {token: t}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := Load(path, "agent/1")
	if err != nil || rc.Host != "https://127.0.0.1:6443" || rc.UserAgent != "agent/1" {
		t.Fatalf("Load = %+v, %v", rc, err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := Load("", "a"); err == nil || !strings.Contains(err.Error(), "kubernetes client configuration") {
		t.Errorf("outside a cluster: %v", err)
	}
}
