// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// fakeEngines is a fakeReader that also writes, hands out its token and
// renews, as *store.Client does.
type fakeEngines struct {
	*fakeReader

	mu       sync.Mutex
	writes   []fakeWrite
	answers  map[string]map[string]any // by write path
	leases   map[source]store.Secret   // lease fields of reads, by source
	token    string
	revoked  int
	tokenTTL time.Duration
	// renew answers RenewLease; nil grants the increment.
	renew func(id string, increment time.Duration) (store.Lease, error)
	// renewToken answers RenewToken; nil grants tokenTTL, renewable.
	renewToken func() (store.TokenInfo, error)
	renewals   []string
}

type fakeWrite struct {
	path string
	body map[string]any
}

func newFakeEngines() *fakeEngines {
	return &fakeEngines{
		fakeReader: newFakeReader(),
		answers: map[string]map[string]any{
			"pki/issue/web": {"certificate": "VALUE-SECRET-cert", "private_key": "VALUE-SECRET-key", "serial_number": "01"},
		},
		leases: map[source]store.Secret{},
		token:  "VALUE-SECRET-token",
	}
}

func (f *fakeEngines) Read(ctx context.Context, l store.Login, path string, version int) (*store.Secret, error) {
	s, err := f.fakeReader.Read(ctx, l, path, version)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ls, ok := f.leases[source{path: path, version: version}]; ok {
		s.LeaseID, s.LeaseDuration, s.Renewable = ls.LeaseID, ls.LeaseDuration, ls.Renewable
	}
	return s, nil
}

func (f *fakeEngines) Write(_ context.Context, _ store.Login, path string, body map[string]any) (*store.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, fakeWrite{path: path, body: body})
	a, ok := f.answers[path]
	if !ok {
		return nil, &store.Error{Op: store.OpWrite, Path: path, Kind: store.ErrPermissionDenied, Status: 403}
	}
	data := map[string]string{}
	for k, v := range a {
		data[k], _ = v.(string)
	}
	return &store.Secret{Path: path, Data: data, Raw: a}, nil
}

func (f *fakeEngines) Token(context.Context, store.Login) (string, error) { return f.token, nil }

func (f *fakeEngines) RevokeSelf(context.Context, store.Login) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked++
	return nil
}

func (f *fakeEngines) TokenInfo(store.Login) (store.TokenInfo, bool) {
	if f.tokenTTL == 0 {
		return store.TokenInfo{}, false
	}
	return store.TokenInfo{TTL: f.tokenTTL, Renewable: true}, true
}

func (f *fakeEngines) RenewToken(context.Context, store.Login) (store.TokenInfo, error) {
	f.mu.Lock()
	f.renewals = append(f.renewals, "token")
	f.mu.Unlock()
	if f.renewToken != nil {
		return f.renewToken()
	}
	return store.TokenInfo{TTL: f.tokenTTL, Renewable: true}, nil
}

func (f *fakeEngines) RenewLease(_ context.Context, _ store.Login, id string, inc time.Duration) (store.Lease, error) {
	f.mu.Lock()
	f.renewals = append(f.renewals, id)
	f.mu.Unlock()
	if f.renew != nil {
		return f.renew(id, inc)
	}
	return store.Lease{ID: id, Duration: inc, Renewable: true}, nil
}

func TestResolveForms(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
		wantErr []string
	}{{
		name:    "template over the secret's keys",
		environ: []string{"DB_URL=secrets-store:demo-kv/data/app#postgresql://${.DB_USER}:${.DB_PASS}@db/app"},
		want:    []string{"DB_URL=postgresql://" + secretUser + ":" + secretPass + "@db/app"},
	}, {
		name:    "template of a version",
		environ: []string{"OLD=secrets-store:demo-kv/data/app#pass=${.DB_PASS}#2"},
		want:    []string{"OLD=pass=VALUE-SECRET-v2"},
	}, {
		name:    "template with a Sprig function",
		environ: []string{"UP=secrets-store:demo-kv/data/app#${.DB_USER | upper}"},
		want:    []string{"UP=" + strings.ToUpper(secretUser)},
	}, {
		name: "inline references keep the text around them",
		environ: []string{
			"JDBC=jdbc:x://h/db?user=${secrets-store:demo-kv/data/app#DB_USER}&password=${secrets-store:demo-kv/data/app#DB_PASS#2}",
		},
		want: []string{"JDBC=jdbc:x://h/db?user=" + secretUser + "&password=VALUE-SECRET-v2"},
	}, {
		name: "one write serves every key of its answer",
		environ: []string{
			`CERT=>>secrets-store:pki/issue/web#certificate#{"common_name":"app.example.test"}`,
			`KEY=>>secrets-store:pki/issue/web#private_key#{ "common_name" : "app.example.test" }`,
		},
		want: []string{"CERT=VALUE-SECRET-cert", "KEY=VALUE-SECRET-key"},
	}, {
		name:    "the store token in VAULT_TOKEN",
		environ: []string{"VAULT_TOKEN=secrets-store:login", "VAULT_ADDR=https://store.example:8200"},
		want:    []string{"VAULT_TOKEN=VALUE-SECRET-token", "VAULT_ADDR=https://store.example:8200"},
	}, {
		name:    "the store token in another variable is refused",
		environ: []string{"TOKEN=secrets-store:login"},
		wantErr: []string{"TOKEN: secrets-store:login: secrets-store:login hands the store token to the application and is accepted only in VAULT_TOKEN"},
	}, {
		name:    "a write refused by the store",
		environ: []string{"X=>>secrets-store:pki/issue/other#certificate"},
		wantErr: []string{"X: >>secrets-store:pki/issue/other#certificate: "},
	}, {
		name:    "a template error names the template, never a value",
		environ: []string{"X=secrets-store:demo-kv/data/app#${.DB_PASS | b64dec | fail}"},
		wantErr: []string{"X: secrets-store:demo-kv/data/app#${.DB_PASS | b64dec | fail}: "},
	}, {
		name:    "a template that does not parse is reported before the store is asked",
		environ: []string{"X=secrets-store:demo-kv/data/app#${.DB_PASS | nosuchfunc}"},
		wantErr: []string{"X: secrets-store:demo-kv/data/app#${.DB_PASS | nosuchfunc}: "},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEngines()
			log, buf := testLogger()
			got, err := Resolve(t.Context(), testConfig(), f, tc.environ, log)
			for _, v := range []string{secretPass, secretUser, "VALUE-SECRET-v2", "VALUE-SECRET-cert", "VALUE-SECRET-key", f.token} {
				if strings.Contains(buf.String(), v) || err != nil && strings.Contains(err.Error(), v) {
					t.Errorf("a secret value reached the log or the error:\nlog: %s\nerr: %v", buf, err)
				}
			}
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestResolveFormsReadEachSourceOnce(t *testing.T) {
	f := newFakeEngines()
	log, _ := testLogger()
	environ := []string{
		"A=secrets-store:demo-kv/data/app#DB_PASS",
		"B=secrets-store:demo-kv/data/app#${.DB_USER}",
		"C=x${secrets-store:demo-kv/data/app#DB_USER}y",
		"D=secrets-store:demo-kv/data/app#DB_PASS#2",
	}
	if _, err := Resolve(t.Context(), testConfig(), f, environ, log); err != nil {
		t.Fatal(err)
	}
	if n := f.count(source{path: "demo-kv/data/app"}); n != 1 {
		t.Errorf("latest read %d times, want 1", n)
	}
	if n := f.total(); n != 2 {
		t.Errorf("%d reads, want 2 (latest and version 2)", n)
	}
}

func TestResolveWriteOnceWithBody(t *testing.T) {
	f := newFakeEngines()
	log, _ := testLogger()
	environ := []string{
		`CERT=>>secrets-store:pki/issue/web#certificate#{"common_name":"app.example.test","ttl":"1h"}`,
		`KEY=>>secrets-store:pki/issue/web#private_key#{"ttl":"1h","common_name":"app.example.test"}`,
		`CA=>>secrets-store:pki/issue/web#serial_number`,
	}
	if _, err := Resolve(t.Context(), testConfig(), f, environ, log); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 2 {
		t.Fatalf("%d writes, want 2 (one per distinct body): %+v", len(f.writes), f.writes)
	}
	var sawBody, sawEmpty bool
	for _, w := range f.writes {
		switch {
		case w.body["common_name"] == "app.example.test" && w.body["ttl"] == "1h":
			sawBody = true
		case len(w.body) == 0:
			sawEmpty = true
		}
	}
	if !sawBody || !sawEmpty {
		t.Errorf("writes %+v, want one with the body and one with {}", f.writes)
	}
}

func TestResolveEnvFromPathVersion(t *testing.T) {
	f := newFakeEngines()
	log, _ := testLogger()
	cfg := testConfig()
	cfg.EnvFromPath = []secretref.PathVersion{{Path: "demo-kv/data/app", Version: 2}}
	got, err := Resolve(t.Context(), cfg, f, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "DB_PASS=VALUE-SECRET-v2" {
		t.Errorf("got %q, want the keys of version 2", got)
	}
}

// TestTokenKept checks when the injector revokes its token before execve:
// not when the application asked for it, not when a lease depends on it.
func TestTokenKept(t *testing.T) {
	for _, tc := range []struct {
		name        string
		environ     []string
		lease       bool
		wantRevoked int
	}{
		{"plain reference", []string{"A=secrets-store:demo-kv/data/app#DB_PASS"}, false, 1},
		{"token handed to the application", []string{"VAULT_TOKEN=secrets-store:login"}, false, 0},
		{"dynamic secret with a lease", []string{"A=secrets-store:demo-kv/data/app#DB_PASS"}, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEngines()
			if tc.lease {
				f.leases[source{path: "demo-kv/data/app"}] = store.Secret{LeaseID: "database/creds/app/1", LeaseDuration: time.Hour, Renewable: true}
			}
			var executed *Command
			sys := system{
				newReader: func(store.Config) (Reader, error) { return f, nil },
				exec:      func(c Command) error { executed = &c; return nil },
			}
			err := run(t.Context(), []string{"/app"}, slices.Concat(validEnv(), tc.environ), &strings.Builder{}, sys)
			if err != nil || executed == nil {
				t.Fatalf("got %v, want the command executed", err)
			}
			if f.revoked != tc.wantRevoked {
				t.Errorf("revoked %d times, want %d", f.revoked, tc.wantRevoked)
			}
		})
	}
}

// pathVersions lists paths without versions.
func pathVersions(paths ...string) []secretref.PathVersion {
	var out []secretref.PathVersion
	for _, p := range paths {
		out = append(out, secretref.PathVersion{Path: p})
	}
	return out
}

// TestProbeSendsNoWrite: an exec probe resolves like a start but sends no
// write, and the variables that hold one are left out.
func TestProbeSendsNoWrite(t *testing.T) {
	f := newFakeEngines()
	log, _ := testLogger()
	cfg := testConfig()
	cfg.Probe = true
	environ := []string{
		"A=secrets-store:demo-kv/data/app#DB_PASS",
		`CERT=>>secrets-store:pki/issue/web#certificate#{"common_name":"app.example.test"}`,
		"URL=https://h/?c=${>>secrets-store:pki/issue/web#serial_number}",
	}
	got, err := Resolve(t.Context(), cfg, f, environ, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 0 {
		t.Errorf("a probe sent %d writes, want none", len(f.writes))
	}
	if strings.Join(got, ",") != "A="+secretPass {
		t.Errorf("got %q, want only the read variable", got)
	}
}
