// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/store"
)

func testConfig() Config {
	return Config{
		Store:          store.Config{Address: "https://store.example:8200"},
		AuthPath:       "kubernetes_local",
		Role:           "myapp-role",
		ServiceAccount: "myapp/myapp-sa",
		Timeout:        10 * time.Second,
		LogLevel:       slog.LevelDebug,
	}
}

// testLogger logs everything as text into the returned buffer.
func testLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		imports []string
		ignore  bool
		environ []string
		want    []string
		// wantErr lists substrings of the error, one per failure line.
		wantErr []string
		// wantLog lists substrings of the log.
		wantLog []string
	}{{
		name:    "plain values pass, control variables go",
		environ: []string{"HOME=/root", "SECRETS_STORE_ROLE=myapp-role", "EMPTY=", "SECRETS_STORE_X=1", "A=b=c"},
		want:    []string{"HOME=/root", "EMPTY=", "A=b=c"},
		wantLog: []string{`msg="environment resolved" count=0 paths="" failed=0`},
	}, {
		name: "references are replaced in place",
		environ: []string{
			"A=1", "PASS=secrets-store:demo-kv/data/app#DB_PASS", "B=2",
			"USER=secrets-store:demo-kv/data/app#DB_USER", "OLD=secrets-store:demo-kv/data/app#DB_PASS#2",
		},
		want: []string{
			"A=1", "PASS=" + secretPass, "B=2", "USER=" + secretUser, "OLD=VALUE-SECRET-v2",
		},
		wantLog: []string{"count=3", `paths=demo-kv/data/app failed=0`},
	}, {
		name:    "env-from-path imports every key, later paths win",
		imports: []string{"demo-kv/data/app", "demo-kv/data/common"},
		environ: []string{"HOME=/root"},
		want: []string{
			"HOME=/root", "DB_PASS=" + secretPass, "DB_USER=VALUE-SECRET-common-user", "COMMON=" + secretCommon,
		},
		wantLog: []string{"count=3", "paths=demo-kv/data/app,demo-kv/data/common"},
	}, {
		name:    "env-from-path wins over a reference and a plain value of the same name",
		imports: []string{"demo-kv/data/common"},
		environ: []string{
			"DB_USER=secrets-store:demo-kv/data/app#DB_USER", "COMMON=plain", "PASS=secrets-store:demo-kv/data/app#DB_PASS",
		},
		want: []string{
			"DB_USER=VALUE-SECRET-common-user", "COMMON=" + secretCommon, "PASS=" + secretPass,
		},
		wantLog: []string{`msg="reference overridden by env-from-path" var=DB_USER`},
	}, {
		name:    "a shadowed reference's failure is not reported",
		imports: []string{"demo-kv/data/common"},
		environ: []string{"COMMON=secrets-store:demo-kv/data/denied#X"},
		want:    []string{"COMMON=" + secretCommon, "DB_USER=VALUE-SECRET-common-user"},
	}, {
		name:    "keys that are not portable names are skipped",
		imports: []string{"demo-kv/data/odd"},
		environ: []string{"SECRETS_STORE_ROLE=r"},
		want:    []string{"GOOD=VALUE-SECRET-good"},
		wantLog: []string{
			`msg="env-from-path key skipped" path=demo-kv/data/odd key=a-b`,
			`key=1x`, `key=tls.crt`, `key=SECRETS_STORE_ROLE`, `key=NUL error="the value holds a NUL byte`,
		},
	}, {
		name:    "the first of a repeated name counts",
		environ: []string{"A=secrets-store:demo-kv/data/app#DB_USER", "A=secrets-store:nothing#x", "A=3"},
		want:    []string{"A=" + secretUser},
	}, {
		name:    "entries without a name pass through",
		environ: []string{"NOEQUALS", "=secrets-store:demo-kv/data/app#DB_PASS"},
		want:    []string{"NOEQUALS", "=secrets-store:demo-kv/data/app#DB_PASS"},
	}, {
		name:    "failures name the variable, the reference and the reason",
		imports: []string{"demo-kv/data/denied"},
		environ: []string{
			"PASS=secrets-store:demo-kv/data/denied#DB_PASS", "NOKEY=secrets-store:demo-kv/data/app#NOPE",
			"GONE=secrets-store:demo-kv/data/gone#K", "NUL=secrets-store:demo-kv/data/nul#K",
		},
		wantErr: []string{
			`env-from-path demo-kv/data/denied: role "myapp-role" may not read secret "demo-kv/data/denied"`,
			`PASS: secrets-store:demo-kv/data/denied#DB_PASS: role "myapp-role" may not read`,
			`NOKEY: secrets-store:demo-kv/data/app#NOPE: key "NOPE" not found in secret "demo-kv/data/app": the secret has keys DB_PASS, DB_USER`,
			`GONE: secrets-store:demo-kv/data/gone#K: secret "demo-kv/data/gone" not found`,
			`NUL: secrets-store:demo-kv/data/nul#K: the value of key "K" holds a NUL byte`,
		},
	}, {
		name:    "ignore-missing unsets failed variables and warns",
		imports: []string{"demo-kv/data/denied"},
		ignore:  true,
		environ: []string{
			"A=1", "PASS=secrets-store:demo-kv/data/denied#DB_PASS", "USER=secrets-store:demo-kv/data/app#DB_USER",
			"BAD=secrets-store:demo-kv/data/app",
		},
		want: []string{"A=1", "USER=" + secretUser},
		wantLog: []string{
			`level=WARN msg="env-from-path path skipped" path=demo-kv/data/denied error="role \"myapp-role\" may not read`,
			`level=WARN msg="variable unset: reference failed" var=PASS ref=secrets-store:demo-kv/data/denied#DB_PASS error=`,
			`level=WARN msg="invalid reference dropped" var=BAD error="invalid secret reference`,
			"count=1", "failed=3",
		},
	}, {
		name:    "an invalid reference is an error",
		environ: []string{"BAD=secrets-store:demo-kv/data/app#K#0", "OK=secrets-store:demo-kv/data/app#DB_PASS"},
		wantErr: []string{`BAD: invalid secret reference "secrets-store:demo-kv/data/app#K#0": version must be`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.EnvFromPath, cfg.IgnoreMissing = pathVersions(tt.imports...), tt.ignore
			log, buf := testLogger()
			got, err := Resolve(t.Context(), cfg, newFakeReader(), tt.environ, log)
			if tt.wantErr != nil {
				checkFailures(t, err, tt.wantErr)
				if got != nil {
					t.Errorf("got environment %q with an error, want none", got)
				}
			} else if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got environment\n%q\nwant\n%q", got, tt.want)
			}
			for _, s := range tt.wantLog {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("got log\n%s\nwant it to contain %s", buf, s)
				}
			}
			checkNoSecrets(t, "log", buf.String())
			if err != nil {
				checkNoSecrets(t, "error", err.Error())
			}
		})
	}
}

// checkFailures checks that err joins one *Failure per wanted line, in order.
func checkFailures(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	var f *Failure
	if !errors.As(err, &f) {
		t.Errorf("got error of type %T, want one matching *Failure", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d failure lines:\n%s\nwant %d", len(lines), err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("failure %d: got %q, want it to start with %q", i, lines[i], w)
		}
	}
}

// checkNoSecrets fails if s holds any value the fake store serves.
func checkNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, "VALUE-SECRET") {
		t.Errorf("got a secret value in the %s:\n%s", what, s)
	}
}

func TestResolveInvalidReferenceReadsNothing(t *testing.T) {
	r := newFakeReader()
	log, _ := testLogger()
	environ := []string{"OK=secrets-store:demo-kv/data/app#DB_PASS", "BAD=secrets-store:x#"}
	if _, err := Resolve(t.Context(), testConfig(), r, environ, log); err == nil {
		t.Fatal("got no error, want one")
	}
	if n := r.total(); n != 0 {
		t.Errorf("got %d reads, want 0: a syntax error fails before the store is asked", n)
	}
}

func TestResolveInvalidReferenceNeverEchoesOtherValues(t *testing.T) {
	log, buf := testLogger()
	cfg := testConfig()
	cfg.IgnoreMissing = true
	environ := []string{"PLAIN=VALUE-SECRET-plain", "BAD=secrets-store:x"}
	env, err := Resolve(t.Context(), cfg, newFakeReader(), environ, log)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if want := []string{"PLAIN=VALUE-SECRET-plain"}; !slices.Equal(env, want) {
		t.Errorf("got %q, want %q", env, want)
	}
	checkNoSecrets(t, "log", buf.String())
}

func TestResolveReadsEachSourceOnce(t *testing.T) {
	r := newFakeReader()
	cfg := testConfig()
	cfg.EnvFromPath = pathVersions("demo-kv/data/app", "demo-kv/data/common")
	environ := []string{
		"A=secrets-store:demo-kv/data/app#DB_PASS", "B=secrets-store:demo-kv/data/app#DB_USER",
		"C=secrets-store:demo-kv/data/common#COMMON", "D=secrets-store:demo-kv/data/app#DB_PASS#2",
		"E=secrets-store:demo-kv/data/app#DB_PASS#2",
	}
	log, _ := testLogger()
	if _, err := Resolve(t.Context(), cfg, r, environ, log); err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	for _, s := range []source{{path: "demo-kv/data/app"}, {path: "demo-kv/data/common"}, {path: "demo-kv/data/app", version: 2}} {
		if n := r.count(s); n != 1 {
			t.Errorf("read %v: got %d reads, want 1", s, n)
		}
	}
	if n := r.total(); n != 3 {
		t.Errorf("got %d reads in all, want 3", n)
	}
	for i, l := range r.logins {
		if l.Role != "myapp-role" || l.AuthPath != "kubernetes_local" || l.ServiceAccount != "myapp/myapp-sa" || l.JWT == nil {
			t.Errorf("read %d: got login %+v, want the configured identity", i, l)
		}
	}
}

func TestResolveReadsConcurrently(t *testing.T) {
	const paths = 3 * MaxConcurrentReads
	r := newFakeReader()
	var environ []string
	for i := range paths {
		p := "kv/data/p" + strconv.Itoa(i)
		r.secrets[source{path: p}] = map[string]string{"K": "v"}
		environ = append(environ, "V"+strconv.Itoa(i)+"=secrets-store:"+p+"#K")
	}
	// Every read waits until MaxConcurrentReads reads are in flight at once,
	// which happens only if distinct reads run concurrently.
	var (
		mu       sync.Mutex
		inFlight int
		peak     int
		full     = make(chan struct{})
		once     sync.Once
	)
	r.wait = func(ctx context.Context, _ source) error {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		if inFlight == MaxConcurrentReads {
			once.Do(func() { close(full) })
		}
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight--
			mu.Unlock()
		}()
		select {
		case <-full:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	log, _ := testLogger()
	env, err := Resolve(t.Context(), testConfig(), r, environ, log)
	if err != nil {
		t.Fatalf("got error %v, want none: reads did not overlap", err)
	}
	if len(env) != paths {
		t.Errorf("got %d variables, want %d", len(env), paths)
	}
	if peak != MaxConcurrentReads {
		t.Errorf("got at most %d reads in flight, want %d", peak, MaxConcurrentReads)
	}
	for s, n := range r.calls {
		if n != 1 {
			t.Errorf("read %v: got %d reads, want 1", s, n)
		}
	}
}

func TestResolveTimeoutBoundsTheWhole(t *testing.T) {
	r := newFakeReader()
	r.wait = func(ctx context.Context, _ source) error {
		<-ctx.Done()
		return ctx.Err()
	}
	cfg := testConfig()
	cfg.Timeout = time.Millisecond
	log, _ := testLogger()
	_, err := Resolve(t.Context(), cfg, r, []string{"A=secrets-store:demo-kv/data/app#DB_PASS"}, log)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got error %v, want one matching context.DeadlineExceeded", err)
	}
	checkFailures(t, err, []string{"A: secrets-store:demo-kv/data/app#DB_PASS: read secret"})
}
