// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/rawconn"
)

// DefaultTimeout bounds each request to the store when Config.Timeout is zero
// (the seed's client-timeout default).
const DefaultTimeout = 10 * time.Second

// Config describes one store connection.
type Config struct {
	// Address is the store URL, e.g. https://stronghold.example:8200. Plain
	// http is accepted (development stores such as "bao server -dev" on
	// loopback speak it) but sends the ServiceAccount JWT and the token in
	// clear; the TLS settings below are ignored for it.
	Address string
	// Namespace is sent as X-Vault-Namespace on every request; empty means
	// the root namespace.
	Namespace string
	// CACert is a PEM bundle of CAs trusted for the store certificate.
	// CACert and CAFile are exclusive; with neither, the system CA bundle is
	// used.
	CACert []byte
	// CAFile is a path to a PEM bundle, read once by New.
	CAFile string
	// SkipTLSVerify disables certificate verification. Only an explicit
	// setting turns it on; the environment never does.
	SkipTLSVerify bool
	// Timeout bounds each request (connect, TLS, response); zero means
	// DefaultTimeout.
	Timeout time.Duration
	// IdleTimeout is how long a connection to the store stays open without
	// a request; zero means DefaultIdleTimeout. A client that sends a
	// request at a fixed period longer than that (a watching injector)
	// sets it above the period, so that it does not connect and shake
	// hands again every time. The store, or a load balancer in front of
	// it, may still close the connection first: the TLS session is then
	// resumed (see httpClient).
	IdleTimeout time.Duration
}

// DefaultIdleTimeout is how long an unused connection to the store stays
// open when Config.IdleTimeout is zero.
const DefaultIdleTimeout = 90 * time.Second

// Validate reports a configuration that cannot work. It does no I/O: CAFile
// is read by New.
func (c Config) Validate() error {
	if c.Address == "" {
		return errors.New("store address is empty")
	}
	u, err := url.Parse(c.Address)
	if err != nil {
		return fmt.Errorf("store address %q: %w", c.Address, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("store address %q: scheme must be https or http", c.Address)
	case u.Host == "":
		return fmt.Errorf("store address %q: host is empty", c.Address)
	case u.User != nil:
		// Credentials in the URL would end up in transport error messages.
		return fmt.Errorf("store address %q: user info is not allowed", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("store address %q: query and fragment are not allowed", c.Address)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("store timeout %s is negative", c.Timeout)
	}
	if c.IdleTimeout < 0 {
		return fmt.Errorf("store idle timeout %s is negative", c.IdleTimeout)
	}
	if len(c.CACert) > 0 && c.CAFile != "" {
		return errors.New("store caCert and caFile are exclusive: set one")
	}
	if len(c.CACert) > 0 && !x509.NewCertPool().AppendCertsFromPEM(c.CACert) {
		return errors.New("store caCert holds no PEM certificate")
	}
	return nil
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func (c Config) idleTimeout() time.Duration {
	if c.IdleTimeout == 0 {
		return DefaultIdleTimeout
	}
	return c.IdleTimeout
}

// sessionCacheSize is how many TLS sessions a client keeps for resumption:
// one per store host it has reached (a standby's redirect names another).
const sessionCacheSize = 8

// rootCAs returns the configured CA pool, or nil for the system bundle.
func (c Config) rootCAs() (*x509.CertPool, error) {
	pemBytes := c.CACert
	if c.CAFile != "" {
		b, err := os.ReadFile(c.CAFile) // the CA file path is trusted configuration
		if err != nil {
			return nil, fmt.Errorf("read store ca file: %w", err)
		}
		pemBytes = b
	}
	if len(pemBytes) == 0 {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("store ca %q holds no PEM certificate", c.CAFile)
	}
	return pool, nil
}

// httpClient builds the transport from Config alone, so that nothing from
// the environment (VAULT_CACERT, VAULT_SKIP_VERIFY, …) reaches it.
func (c Config) httpClient() (*http.Client, error) {
	pool, err := c.rootCAs()
	if err != nil {
		return nil, err
	}
	timeout := c.timeout()
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: rawconn.Dial(dialer.DialContext),
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			RootCAs:            pool,
			InsecureSkipVerify: c.SkipTLSVerify, //nolint:gosec // explicit user setting, off by default
			// A new connection to a store seen before resumes its TLS
			// session: no certificate to send and verify again, which is
			// most of a handshake's CPU.
			ClientSessionCache: tls.NewLRUClientSessionCache(sessionCacheSize),
		},
		TLSHandshakeTimeout: timeout,
		ForceAttemptHTTP2:   true,
		// A node plugin reads for many volumes at once; keep enough idle
		// HTTP/1.1 connections to the one store host to avoid reconnects.
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     c.idleTimeout(),
	}
	return &http.Client{
		Transport: tr,
		// Client.send follows a standby's redirect itself (once, never from
		// https to http, with the body sent again); the HTTP client must
		// hand it the 307.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
