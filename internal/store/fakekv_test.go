// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"net/http"
	"strconv"
	"strings"
)

// authorized answers 403 itself when the token is unknown or revoked.
func (f *fakeVault) authorized(w http.ResponseWriter, r *http.Request) (fakeToken, bool) {
	tok := r.Header.Get("X-Vault-Token")
	ft, ok := f.tokens[tok]
	if !ok || ft.revoked {
		msg := "permission denied"
		if f.echo {
			msg += " for token " + tok
		}
		reply(w, http.StatusForbidden, errorsBody(msg))
		return ft, false
	}
	return ft, true
}

func (f *fakeVault) mountOf(p string) (string, int) {
	for m, v := range f.mounts {
		if strings.HasPrefix(p+"/", m) {
			return m, v
		}
	}
	return "", 0
}

func (f *fakeVault) uiMount(w http.ResponseWriter, r *http.Request, p string) {
	if _, ok := f.authorized(w, r); !ok {
		return
	}
	m, v := f.mountOf(p)
	if em, typ := f.engineOf(p); em != "" && !f.noUIMounts {
		reply(w, http.StatusOK, map[string]any{"data": map[string]any{"path": em, "type": typ, "options": nil}})
		return
	}
	if f.noUIMounts || m == "" {
		reply(w, http.StatusNotFound, errorsBody())
		return
	}
	reply(w, http.StatusOK, map[string]any{"data": map[string]any{
		"path": m, "type": "kv", "options": map[string]any{"version": strconv.Itoa(v)},
	}})
}

func (f *fakeVault) read(w http.ResponseWriter, r *http.Request, p string) {
	ft, ok := f.authorized(w, r)
	if !ok {
		return
	}
	f.readTokens = append(f.readTokens, r.Header.Get("X-Vault-Token"))
	allowed := false
	for _, ap := range f.roles[ft.role].paths {
		allowed = allowed || ap == p
	}
	if !allowed {
		msg := "1 error occurred:\n\t* permission denied\n\n"
		if f.echo {
			msg += "token " + r.Header.Get("X-Vault-Token")
		}
		reply(w, http.StatusForbidden, errorsBody(msg))
		return
	}
	if body, ok := f.raw[p]; ok {
		status := http.StatusOK
		if strings.Contains(p, "500") {
			status = http.StatusInternalServerError
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
		return
	}
	m, v := f.mountOf(p)
	if v == 1 {
		data, ok := f.v1[p]
		if !ok {
			reply(w, http.StatusNotFound, errorsBody())
			return
		}
		reply(w, http.StatusOK, map[string]any{"data": data, "lease_duration": 2764800})
		return
	}
	f.readV2(w, r, m, p)
}

func (f *fakeVault) readV2(w http.ResponseWriter, r *http.Request, m, p string) {
	name, ok := strings.CutPrefix(p, m+"data/")
	if !ok && f.kvEndpoint(w, m, p) {
		return
	}
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"data": nil, "warnings": []string{
			"Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use.",
		}})
		return
	}
	versions := f.v2[m+name]
	n := len(versions)
	if q := r.URL.Query().Get("version"); q != "" {
		n, _ = strconv.Atoi(q)
	}
	if n < 1 || n > len(versions) {
		reply(w, http.StatusNotFound, errorsBody())
		return
	}
	ver := versions[n-1]
	meta := map[string]any{"version": n, "created_time": "2024-01-01T00:00:00Z", "deletion_time": "", "destroyed": false}
	var data any = ver.data
	switch {
	case ver.destroyed:
		meta["destroyed"], data = true, nil
	case ver.deleted:
		meta["deletion_time"], data = "2024-02-01T00:00:00Z", nil
	}
	status := http.StatusOK
	if data == nil {
		status = http.StatusNotFound
	}
	reply(w, status, map[string]any{"data": map[string]any{"data": data, "metadata": meta}})
}
