// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// startOpenBao runs a real OpenBao server (not dev mode): file storage under data/openbao,
// TLS with the stack CA, initialized with one key share and unsealed. The unseal key and root
// token are kept in stack.json (0600) so tests can restart the store and unseal it again.
func (s *Stack) startOpenBao(ctx context.Context) error {
	dir := filepath.Join(s.Dir, "data", "openbao")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`storage "file" {
  path = %q
}
listener "tcp" {
  address         = "127.0.0.1:%d"
  cluster_address = "127.0.0.1:%d"
  tls_cert_file   = %q
  tls_key_file    = %q
}
api_addr      = %q
cluster_addr  = "https://127.0.0.1:%d"
disable_mlock = true
ui            = false
log_level     = "warn"
`, dir, s.Env.Ports["openbao"], s.Env.Ports["openbao-cluster"], s.pkiFile("openbao.crt"), s.pkiFile("openbao.key"),
		s.Env.StoreAddr, s.Env.Ports["openbao-cluster"])
	path := filepath.Join(s.Dir, "data", "openbao.hcl")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return err
	}
	if err := s.StartStore(ctx, path); err != nil {
		return err
	}
	var init struct {
		Keys      []string `json:"keys_base64"`
		RootToken string   `json:"root_token"`
	}
	if err := s.StoreAPI(ctx, http.MethodPut, "sys/init", map[string]any{"secret_shares": 1, "secret_threshold": 1}, &init); err != nil {
		return fmt.Errorf("initialize openbao: %w", err)
	}
	if len(init.Keys) != 1 || init.RootToken == "" {
		return fmt.Errorf("initialize openbao: unexpected answer")
	}
	s.Env.StoreUnsealKey, s.Env.StoreRootToken = init.Keys[0], init.RootToken
	return s.Unseal(ctx)
}

// StartStore starts the OpenBao process (again, after StopStore) and waits for its API.
func (s *Stack) StartStore(ctx context.Context, config string) error {
	if config == "" {
		config = filepath.Join(s.Dir, "data", "openbao.hcl")
	}
	if err := s.start("openbao", []string{"HOME=" + filepath.Join(s.Dir, "data")}, s.Bins.Bao, "server", "-config", config); err != nil {
		return err
	}
	return s.waitFor(ctx, "openbao", 60*time.Second, func(ctx context.Context) error {
		// 200 active, 429 standby, 501 not initialized, 503 sealed: all mean the API answers
		return s.StoreAPI(ctx, http.MethodGet, "sys/seal-status", nil, nil)
	})
}

// InNamespace returns a view of the stack whose store calls (StoreAPI and the fixtures) act
// inside the store namespace ns.
func (s *Stack) InNamespace(ns string) *Stack {
	c := *s
	c.storeNamespace = ns
	return &c
}

// StopStore stops the OpenBao process by its PID (its data stays).
func (s *Stack) StopStore() { s.stop("openbao", 15*time.Second) }

// Unseal unseals the store with the key kept at initialization.
func (s *Stack) Unseal(ctx context.Context) error {
	var st struct {
		Sealed bool `json:"sealed"`
	}
	if err := s.StoreAPI(ctx, http.MethodPut, "sys/unseal", map[string]string{"key": s.Env.StoreUnsealKey}, &st); err != nil {
		return fmt.Errorf("unseal openbao: %w", err)
	}
	if st.Sealed {
		return fmt.Errorf("openbao is still sealed after unseal")
	}
	return s.waitFor(ctx, "openbao", 30*time.Second, func(ctx context.Context) error {
		return s.StoreAPI(ctx, http.MethodGet, "sys/health", nil, nil)
	})
}

// StoreAPI calls the store's HTTP API at /v1/<path> with the root token, sending body as
// JSON and decoding the answer into out (both optional). It is the administrator's door for
// fixtures; the product's code paths use internal/store.
func (s *Stack) StoreAPI(ctx context.Context, method, path string, body, out any) error {
	client, err := s.httpClient("")
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.Env.StoreAddr+"/v1/"+path, rd)
	if err != nil {
		return err
	}
	if s.Env.StoreRootToken != "" {
		req.Header.Set("X-Vault-Token", s.Env.StoreRootToken)
	}
	if s.storeNamespace != "" {
		req.Header.Set("X-Vault-Namespace", s.storeNamespace)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	// Every status of sys/seal-status means the API answers (see StartStore).
	if resp.StatusCode >= 300 && (path != "sys/seal-status" || resp.StatusCode >= 600) {
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("%s %s: %s %v", method, path, resp.Status, e.Errors)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}
