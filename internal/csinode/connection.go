// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// errConnection marks connection settings that cannot work, such as no
// address at all or a malformed CA (codes.FailedPrecondition).
var errConnection = errors.New("store connection settings")

// connection is the store connection and login settings of one
// SecretsStoreImport.
type connection struct {
	cfg      store.Config
	authPath string
	key      string // identifies cfg: one store.Client per key
}

// connectionOf merges the settings of a SecretsStoreImport into the module's.
// Precedence, field by field: the module's flags (--store-addr,
// --store-auth-path, --store-namespace, --store-ca-file) < the resource's
// address, authPath, namespace, caCert. skipTLSVerify in the resource drops
// every CA; a caCert in the resource replaces the module's CA file.
func connectionOf(d StoreDefaults, spec *ssi.Spec) (connection, error) {
	c := connection{
		cfg: store.Config{
			Address:   firstSet(spec.Address, d.Address),
			Namespace: firstSet(spec.Namespace, d.Namespace),
			CAFile:    d.CAFile,
			Timeout:   d.Timeout,
		},
		authPath: firstSet(spec.AuthPath, d.AuthPath),
	}
	switch {
	case spec.SkipTLSVerify:
		c.cfg.CAFile, c.cfg.SkipTLSVerify = "", true
	case spec.CACert != "":
		c.cfg.CAFile, c.cfg.CACert = "", []byte(spec.CACert)
	}
	if c.cfg.Address == "" {
		return c, fmt.Errorf("%w: no store address: set spec.address in the SecretsStoreImport or configure the module's connection", errConnection)
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

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// forAudience is c for logins with tokens of audience aud. The audience is
// part of the key, so each audience has its own store.Client, token cache and
// read-cache identities: a pod receives a token for every audience the module
// requests, but a SecretsStoreImport whose audience its role refuses must
// fail on its own, never succeed on a login or a read made for another one.
func (c connection) forAudience(aud string) connection {
	c.key += " aud=" + strconv.Quote(aud)
	return c
}

// identity is the read cache's name for who reads through c: the connection
// (with the token audience), auth path, role and ServiceAccount. Volumes with
// equal identities are entitled to the same secrets, so they may share reads;
// nothing else does.
func (c connection) identity(role, serviceAccount string) string {
	authPath := strings.Trim(strings.TrimPrefix(strings.Trim(c.authPath, "/")+"/", "auth/"), "/")
	return c.key + " " + strconv.Quote(authPath) + " " + strconv.Quote(role) + " " + strconv.Quote(serviceAccount)
}

// clients holds one store.Client per distinct connection, so that tokens,
// mount lookups and connections are shared by every volume using it. Clients
// are kept for the life of the process: their number is bounded by the
// distinct connections of the cluster's SecretsStoreImports.
type clients struct {
	opts []store.Option
	mu   sync.Mutex
	m    map[string]*store.Client
}

func (cs *clients) get(c connection) (*store.Client, error) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cl, ok := cs.m[c.key]; ok {
		return cl, nil
	}
	cl, err := store.New(c.cfg, cs.opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: store %s: %w", errConnection, c.cfg.Address, err)
	}
	if cs.m == nil {
		cs.m = make(map[string]*store.Client)
	}
	cs.m[c.key] = cl
	return cl, nil
}
