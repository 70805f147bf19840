// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Command plainclient is the reference the injector measurement puts next to the injector:
// the least a Go program does to poll the store, with the standard library alone. It shows
// how much of the injector's start and of a watching injector's memory and CPU is the Go
// runtime and net/http on the machine measured, and how much is the injector's own.
//
//	plainclient exit       ends at once: the start of a static Go program
//	plainclient watch      logs in, then reads PLAIN_PATHS every PLAIN_INTERVAL
//
// watch takes the connection from the variables the webhook gives the injector
// (SECRETS_STORE_ADDR, _AUTH_PATH, _ROLE, _TOKEN_FILE, _CA_FILE) and uses the same TLS
// settings (TLS 1.2 or later, the CA file as the only root, HTTP/2) and, once logged in,
// the same runtime settings as a watching injector (one processor, GC target 25, the heap
// of the start given back). The reads of a poll go out together, each decoded as JSON.
// It writes the log line the measurement follows, `msg="watching secrets for changes"`,
// once and, as a watching injector at its default level, nothing per poll (the measurement
// counts polls at its proxy); an error ends it with status 1. It never writes a token or a
// value.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "watch" {
		return // exit: the start of the process alone
	}
	err := watch() // returns only on an error
	fmt.Fprintf(os.Stderr, "level=ERROR msg=%q\n", err.Error())
	os.Exit(1)
}

// client is what a poll needs.
type client struct {
	hc    *http.Client
	addr  string
	token string
}

func watch() error {
	interval, err := time.ParseDuration(os.Getenv("PLAIN_INTERVAL"))
	if err != nil || interval <= 0 {
		return fmt.Errorf("PLAIN_INTERVAL %q: want a positive duration", os.Getenv("PLAIN_INTERVAL"))
	}
	paths := strings.Split(os.Getenv("PLAIN_PATHS"), ",")
	if paths[0] == "" {
		return errors.New("PLAIN_PATHS is empty: want store paths separated by commas")
	}
	c, err := login()
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(25)
	debug.FreeOSMemory()
	fmt.Fprintf(os.Stderr, "level=INFO msg=%q paths=%d interval=%s\n", "watching secrets for changes", len(paths), interval)
	for {
		time.Sleep(interval)
		if err := c.poll(paths); err != nil {
			return err
		}
	}
}

func login() (*client, error) {
	ca, err := os.ReadFile(os.Getenv("SECRETS_STORE_CA_FILE")) //nolint:gosec // G703: a file the measurement that starts this program writes
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("SECRETS_STORE_CA_FILE holds no PEM certificate")
	}
	jwt, err := os.ReadFile(os.Getenv("SECRETS_STORE_TOKEN_FILE")) //nolint:gosec // G703: as above
	if err != nil {
		return nil, err
	}
	c := &client{
		hc: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool},
			ForceAttemptHTTP2: true,
		}},
		addr: strings.TrimSuffix(os.Getenv("SECRETS_STORE_ADDR"), "/"),
	}
	body, err := json.Marshal(map[string]string{"role": os.Getenv("SECRETS_STORE_ROLE"), "jwt": strings.TrimSpace(string(jwt))})
	if err != nil {
		return nil, err
	}
	var answer struct {
		Auth struct {
			ClientToken string `json:"client_token"`
		} `json:"auth"`
	}
	if err := c.do(http.MethodPost, "auth/"+os.Getenv("SECRETS_STORE_AUTH_PATH")+"/login", body, &answer); err != nil {
		return nil, err
	}
	if answer.Auth.ClientToken == "" {
		return nil, errors.New("login: the store answered without a token")
	}
	c.token = answer.Auth.ClientToken
	return c, nil
}

// poll reads every path at once.
func (c *client) poll(paths []string) error {
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			var answer map[string]any
			errs[i] = c.do(http.MethodGet, p, nil, &answer)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *client) do(method, path string, body []byte, into any) error {
	// The address is the measurement's proxy on 127.0.0.1.
	req, err := http.NewRequestWithContext(context.Background(), method, c.addr+"/v1/"+path, bytes.NewReader(body)) //nolint:gosec // G704: see above
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("X-Vault-Token", c.token)
	}
	resp, err := c.hc.Do(req) //nolint:gosec // G704: see above
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return json.Unmarshal(data, into)
}
