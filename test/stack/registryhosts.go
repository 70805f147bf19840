// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// registryHostsDir is containerd's registry configuration directory (config_path): one
// <host>/hosts.toml per registry, read at every pull.
func (s *Stack) registryHostsDir() string { return filepath.Join(s.Dir, "data", "containerd-certs.d") }

// TrustRegistry lets the node's containerd pull from the HTTPS registry at host ("127.0.0.1:port"),
// whose certificate the stack's CA signed. Credentials come from the pod's imagePullSecrets,
// as on any node.
func (s *Stack) TrustRegistry(host string) error {
	if strings.ContainsAny(host, "/\\ ") || host == "" {
		return fmt.Errorf("registry host %q: want host:port", host)
	}
	dir := filepath.Join(s.registryHostsDir(), host)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	conf := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = %q\n",
		"https://"+host, "https://"+host, s.Env.CAFile)
	return os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(conf), 0o600)
}
