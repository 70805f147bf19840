// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Values the fake's other engines hand out, distinctive like those in
// fakevault_test.go.
const (
	dbPassMark = "DB-PASS-SECRET-"
	keyMark    = "PRIVATE-KEY-SECRET-"
	leaseMark  = "LEASE-SECRET-"
)

// fakeExt is the part of fakeVault beyond KV: a database-like engine whose
// reads of creds/<name> hand out a new lease each, a PKI-like engine
// (cert/ca read, issue/<role> written), KV v1 writes, token and lease
// renewals, and a gate that holds mount lookups until a number of reads
// have been answered, so that a test can make lookups overlap.
type fakeExt struct {
	engines  map[string]string // mount -> type
	leases   map[string]fakeLease
	writes   []fakeWrite
	seq      int
	renewTTL int // lease_duration answered by renew-self, seconds

	gate         chan struct{}
	releaseAfter int // reads after which gate is closed
}

type fakeLease struct {
	ttl       int
	renewable bool
}

type fakeWrite struct {
	path string
	body map[string]any
}

func newFakeExt() fakeExt {
	return fakeExt{
		engines:  map[string]string{"database/": "database", "pki/": "pki"},
		leases:   map[string]fakeLease{},
		renewTTL: 1200,
	}
}

// gateLookups holds every mount lookup until reads reads have been answered.
func (f *fakeVault) gateLookups(reads int) {
	f.set(func(f *fakeVault) { f.ext.gate, f.ext.releaseAfter = make(chan struct{}), reads })
}

// holdLookup waits at the gate, if any, without holding f.mu.
func (f *fakeVault) holdLookup() {
	if gate := f.ext.gate; gate != nil {
		f.mu.Unlock()
		<-gate
		f.mu.Lock()
	}
}

func (f *fakeVault) releaseLookups() {
	if f.ext.gate != nil && f.ext.releaseAfter > 0 && f.counts["read"] >= f.ext.releaseAfter {
		close(f.ext.gate)
		f.ext.releaseAfter = 0
	}
}

func (f *fakeVault) engineOf(p string) (mount, typ string) {
	for m, t := range f.ext.engines {
		if strings.HasPrefix(p+"/", m) {
			return m, t
		}
	}
	return "", ""
}

func (f *fakeVault) isEngine(p string) bool {
	m, _ := f.engineOf(p)
	return m != ""
}

// kvEndpoint answers the KV v2 endpoints that are not secrets, as the real
// engine does for a path written without data/.
func (f *fakeVault) kvEndpoint(w http.ResponseWriter, m, p string) bool {
	if p == m+"config" {
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{
			"cas_required": false, "delete_version_after": "0s", "max_versions": 0,
		}})
		return true
	}
	name, ok := strings.CutPrefix(p, m+"metadata/")
	if versions := f.v2[m+name]; ok && len(versions) > 0 {
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{
			"current_version": len(versions), "oldest_version": 1, "max_versions": 0,
			"versions": map[string]any{"1": map[string]any{"destroyed": false}}, "custom_metadata": nil,
		}})
		return true
	}
	return false
}

// serveMore answers what serve leaves: renewals, engine reads and writes.
func (f *fakeVault) serveMore(w http.ResponseWriter, r *http.Request, p string) {
	switch {
	case p == "auth/token/renew-self":
		f.counts["renew"]++
		if _, ok := f.authorized(w, r); ok {
			reply(w, http.StatusOK, map[string]any{"auth": map[string]any{
				"client_token": r.Header.Get("X-Vault-Token"), "lease_duration": f.ext.renewTTL, "renewable": true,
			}})
		}
	case p == "sys/leases/renew":
		f.counts["renew"]++
		if _, ok := f.authorized(w, r); ok {
			f.renewLease(w, r)
		}
	case r.Method == http.MethodGet:
		f.counts["read"]++
		if f.allowed(w, r, p) {
			f.readEngine(w, p)
		}
		f.releaseLookups()
	case r.Method == http.MethodPut || r.Method == http.MethodPost:
		f.counts["write"]++
		if f.allowed(w, r, p) {
			f.write(w, r, p)
		}
	default:
		reply(w, http.StatusMethodNotAllowed, errorsBody("unsupported operation"))
	}
}

// allowed answers 403 itself unless the token's role lists p.
func (f *fakeVault) allowed(w http.ResponseWriter, r *http.Request, p string) bool {
	ft, ok := f.authorized(w, r)
	if !ok {
		return false
	}
	for _, ap := range f.roles[ft.role].paths {
		if ap == p {
			return true
		}
	}
	msg := "1 error occurred:\n\t* permission denied\n\n"
	if f.echo {
		msg += "token " + r.Header.Get("X-Vault-Token")
	}
	reply(w, http.StatusForbidden, errorsBody(msg))
	return false
}

func (f *fakeVault) readEngine(w http.ResponseWriter, p string) {
	switch {
	case strings.HasPrefix(p, "database/creds/") && !strings.HasSuffix(p, "/nope"):
		f.ext.seq++
		n := strconv.Itoa(f.ext.seq)
		id := p + "/" + leaseMark + n
		f.ext.leases[id] = fakeLease{ttl: 3600, renewable: true}
		reply(w, http.StatusOK, map[string]any{
			"lease_id": id, "lease_duration": 3600, "renewable": true,
			"data": map[string]any{"username": "v-app-" + n, "password": dbPassMark + n},
		})
	case p == "pki/cert/ca":
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{
			"certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "revocation_time": 0,
		}})
	default:
		reply(w, http.StatusNotFound, errorsBody())
	}
}

func (f *fakeVault) write(w http.ResponseWriter, r *http.Request, p string) {
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		reply(w, http.StatusBadRequest, errorsBody("bad body"))
		return
	}
	f.ext.writes = append(f.ext.writes, fakeWrite{path: p, body: body})
	switch {
	case strings.HasPrefix(p, "pki/issue/"):
		cn, _ := body["common_name"].(string)
		if cn == "" || strings.Contains(cn, "bad") {
			msg := "common name not allowed by this role"
			if f.echo {
				msg += ": " + cn + " (ttl " + jsonText(body["ttl"]) + ")"
			}
			reply(w, http.StatusBadRequest, errorsBody(msg))
			return
		}
		f.ext.seq++
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{
			"certificate": "CERT for " + cn, "private_key": keyMark + strconv.Itoa(f.ext.seq),
			"ca_chain": []any{"CA-1", "CA-2"}, "serial_number": "0a:0b",
		}})
	case strings.HasPrefix(p, "kv1/"):
		f.v1[p] = body
		w.WriteHeader(http.StatusNoContent)
	default:
		reply(w, http.StatusNotFound, errorsBody("no handler for route \""+p+"\""))
	}
}

func (f *fakeVault) renewLease(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LeaseID   string `json:"lease_id"`
		Increment int    `json:"increment"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		reply(w, http.StatusBadRequest, errorsBody("bad body"))
		return
	}
	lease, ok := f.ext.leases[body.LeaseID]
	if !ok {
		msg := "lease not found"
		if f.echo {
			msg += ": " + body.LeaseID
		}
		reply(w, http.StatusBadRequest, errorsBody(msg))
		return
	}
	ttl := lease.ttl
	if body.Increment > 0 {
		ttl = body.Increment
	}
	reply(w, http.StatusOK, map[string]any{"lease_id": body.LeaseID, "lease_duration": ttl, "renewable": lease.renewable})
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// writesSeen returns the writes the fake received.
func (f *fakeVault) writesSeen() []fakeWrite {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeWrite(nil), f.ext.writes...)
}

// allow adds API paths to the role's policy.
func (f *fakeVault) allow(role string, paths ...string) {
	f.set(func(f *fakeVault) {
		r := f.roles[role]
		r.paths = append(r.paths, paths...)
		f.roles[role] = r
	})
}
