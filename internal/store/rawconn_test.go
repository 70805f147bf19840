// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/rawconn"
)

// TestClientConnectsRaw: the store client's TLS connections run over a
// raw connection (package rawconn).
func TestClientConnectsRaw(t *testing.T) {
	f := newFakeVault(t)
	c, err := New(f.config())
	if err != nil {
		t.Fatal(err)
	}
	var under net.Conn
	ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if tc, ok := i.Conn.(*tls.Conn); ok {
			under = tc.NetConn()
		}
	}})
	if _, err := c.Read(ctx, appLogin(), "kv1/app", 0); err != nil {
		t.Fatal(err)
	}
	if !rawconn.Is(under) {
		t.Errorf("the client's connection runs over %T, want a raw connection", under)
	}
}
