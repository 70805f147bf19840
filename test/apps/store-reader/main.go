// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command store-reader is the demo application of the delivery mode "the application reads
// the store itself": it logs in to the store with its pod's ServiceAccount token (kubernetes
// auth), reads one key of a secret and prints it. It uses the standard library only, to show
// that nothing of the module is needed on this path; any Vault SDK does the same.
//
// Environment: STORE_ADDR, STORE_CA_FILE, STORE_AUTH_PATH, STORE_ROLE, SECRET_PATH,
// SECRET_KEY, and optionally TOKEN_FILE (default: the pod's projected ServiceAccount token).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "store-reader:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	tokenFile := env("TOKEN_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/token")
	jwt, err := os.ReadFile(tokenFile)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(env("STORE_CA_FILE", "/etc/store-ca/ca.crt"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("no certificate in the CA file")
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	addr := strings.TrimSuffix(os.Getenv("STORE_ADDR"), "/")
	var login struct {
		Auth struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	body, _ := json.Marshal(map[string]string{"role": os.Getenv("STORE_ROLE"), "jwt": strings.TrimSpace(string(jwt))})
	if err := call(ctx, c, http.MethodPost, addr+"/v1/auth/"+env("STORE_AUTH_PATH", "kubernetes_local")+"/login", "", body, &login); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	var secret struct {
		Data struct {
			Data map[string]any `json:"data"`
		} `json:"data"`
	}
	path := os.Getenv("SECRET_PATH")
	if err := call(ctx, c, http.MethodGet, addr+"/v1/"+path, login.Auth.ClientToken, nil, &secret); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	key := os.Getenv("SECRET_KEY")
	v, ok := secret.Data.Data[key]
	if !ok {
		return fmt.Errorf("key %s not found in %s", key, path)
	}
	fmt.Printf("read %s#%s from the store: %v\n", path, key, v)
	return nil
}

func call(ctx context.Context, c *http.Client, method, url, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Errors []string `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("%s: %s", resp.Status, strings.Join(e.Errors, "; "))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
