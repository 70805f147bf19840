// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package storeconn is the store connection of one resource that names
// secrets (a SecretsStoreImport, a SecretsStoreSync): the module's settings
// overridden field by field by the resource's own, the key that decides which
// resources may share a store.Client, and the identity under which reads may
// be shared.
package storeconn

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// ErrSettings marks connection settings that cannot work, such as no address
// at all or a malformed CA.
var ErrSettings = errors.New("store connection settings")

// Defaults are the module-wide store settings.
type Defaults struct {
	Address   string // empty: every resource must set spec.address
	AuthPath  string
	Namespace string
	CAFile    string // empty: the system CA bundle
	Timeout   time.Duration
}

// Overrides are a resource's own connection fields; empty means the module's.
type Overrides struct {
	Address       string
	AuthPath      string
	Namespace     string
	CACert        string
	SkipTLSVerify bool
	// Kind names the resource in messages, e.g. "SecretsStoreImport".
	Kind string
}

// Connection is the store connection and login settings of one resource.
type Connection struct {
	cfg      store.Config
	authPath string
	key      string // identifies cfg: one store.Client per key
}

// Of merges a resource's settings into the module's. Precedence, field by
// field: the module's (--store-addr, --store-auth-path, --store-namespace,
// --store-ca-file) < the resource's address, authPath, namespace, caCert.
// skipTLSVerify in the resource drops every CA; a caCert in the resource
// replaces the module's CA file.
func Of(d Defaults, o Overrides) (Connection, error) {
	c := Connection{
		cfg: store.Config{
			Address:   FirstSet(o.Address, d.Address),
			Namespace: FirstSet(o.Namespace, d.Namespace),
			CAFile:    d.CAFile,
			Timeout:   d.Timeout,
		},
		authPath: FirstSet(o.AuthPath, d.AuthPath),
	}
	switch {
	case o.SkipTLSVerify:
		c.cfg.CAFile, c.cfg.SkipTLSVerify = "", true
	case o.CACert != "":
		c.cfg.CAFile, c.cfg.CACert = "", []byte(o.CACert)
	}
	if c.cfg.Address == "" {
		return c, fmt.Errorf("%w: no store address: set spec.address in the %s or configure the module's connection",
			ErrSettings, FirstSet(o.Kind, "resource"))
	}
	ca := "system"
	switch {
	case c.cfg.SkipTLSVerify:
		ca = "skip-verify"
	case len(c.cfg.CACert) > 0:
		sum := sha256.Sum256(c.cfg.CACert)
		ca = "pem:" + hex.EncodeToString(sum[:])
	case c.cfg.CAFile != "":
		ca = "file:" + c.cfg.CAFile
	}
	c.key = strings.Join([]string{
		strconv.Quote(strings.TrimSuffix(c.cfg.Address, "/")), strconv.Quote(c.cfg.Namespace), strconv.Quote(ca),
	}, " ")
	return c, nil
}

// FirstSet returns the first non-empty value.
func FirstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// Config is the store client configuration of c.
func (c Connection) Config() store.Config { return c.cfg }

// AuthPath is the Kubernetes auth mount logins go to.
func (c Connection) AuthPath() string { return c.authPath }

// Key identifies the store client c needs.
func (c Connection) Key() string { return c.key }

// ForAudience is c for logins with tokens of audience aud. The audience is
// part of the key, so each audience has its own store.Client, token cache and
// read identities: a resource whose audience its role refuses must fail on
// its own, never succeed on a login or a read made for another audience.
func (c Connection) ForAudience(aud string) Connection {
	c.key += " aud=" + strconv.Quote(aud)
	return c
}

// Identity names who reads through c: the connection (with the token
// audience), auth path, role and ServiceAccount. Resources with equal
// identities are entitled to the same secrets, so they may share reads;
// nothing else does.
func (c Connection) Identity(role, serviceAccount string) string {
	authPath := strings.Trim(strings.TrimPrefix(strings.Trim(c.authPath, "/")+"/", "auth/"), "/")
	return c.key + " " + strconv.Quote(authPath) + " " + strconv.Quote(role) + " " + strconv.Quote(serviceAccount)
}

// Clients holds one store.Client per distinct connection, so that tokens,
// mount lookups and connections are shared by every resource using it.
// Clients are kept for the life of the process: their number is bounded by
// the distinct connections of the cluster's resources.
type Clients struct {
	opts []store.Option
	mu   sync.Mutex
	m    map[string]*store.Client
}

// NewClients returns an empty pool whose clients are made with opts.
func NewClients(opts ...store.Option) *Clients {
	return &Clients{opts: opts, m: make(map[string]*store.Client)}
}

// Get returns the client of c, making it on first use.
func (cs *Clients) Get(c Connection) (*store.Client, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cl, ok := cs.m[c.key]; ok {
		return cl, nil
	}
	cl, err := store.New(c.cfg, cs.opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: store %s: %w", ErrSettings, c.cfg.Address, err)
	}
	cs.m[c.key] = cl
	return cl, nil
}
