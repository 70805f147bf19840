// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// FuzzConfig feeds arbitrary values to every control variable: parsing
// never panics, every error line names its variable, and an accepted Config
// holds what its fields promise.
func FuzzConfig(f *testing.F) {
	f.Add("https://s:8200", "kv/data/a,kv/data/b", "true", "10s", "info", "false", "false", "ns/sa", "")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("ftp://x", "a,,b", "yes", "10", "verbose", "maybe", "on", "sa", "not pem")
	f.Add("http://u:p@h", " a , a ", "TRUE", "-1s", "WARN", "0", "1", "a/b/c", "-----BEGIN CERTIFICATE-----\n")
	f.Add("https://h/\x00", "a/../b", "t", "1h0m0.5s", "Error", "F", "T", "/", "")
	f.Fuzz(func(t *testing.T, addr, paths, ignore, timeout, level, jsonLog, skip, sa, ca string) {
		env := []string{
			envcontract.Addr + "=" + addr, envcontract.EnvFromPath + "=" + paths,
			envcontract.IgnoreMissing + "=" + ignore, envcontract.ClientTimeout + "=" + timeout,
			envcontract.LogLevel + "=" + level, envcontract.JSONLog + "=" + jsonLog,
			envcontract.TLSSkipVerify + "=" + skip, envcontract.ServiceAccount + "=" + sa,
			envcontract.CACert + "=" + ca, envcontract.AuthPath + "=k", envcontract.Role + "=r",
		}
		c, err := ParseConfig(env)
		if err != nil {
			checkNamesVariable(t, err)
			return
		}
		if c.Timeout <= 0 || c.Store.Timeout != c.Timeout {
			t.Fatalf("got timeout %v and store timeout %v, want equal and positive", c.Timeout, c.Store.Timeout)
		}
		seen := map[secretref.PathVersion]bool{}
		for _, p := range c.EnvFromPath {
			if err := secretref.ValidatePath(p.Path); err != nil || seen[p] {
				t.Fatalf("got env-from-path %q: invalid (%v) or repeated", c.EnvFromPath, err)
			}
			seen[p] = true
		}
		if err := c.Validate(); err != nil {
			checkNamesVariable(t, err)
		}
		_ = c.Logger(io.Discard, true)
	})
}

// checkNamesVariable checks that every line of err starts with the name of
// a control variable.
func checkNamesVariable(t *testing.T, err error) {
	t.Helper()
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if !strings.HasPrefix(line, envcontract.Prefix) {
			t.Fatalf("got error line %q, want it to name its variable", line)
		}
	}
}

var portableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func FuzzValidEnvName(f *testing.F) {
	for _, s := range []string{"DB_PASS", "_", "1x", "a-b", "", "\u043a\u043b\u044e\u0447", "A\x00", "tls.crt", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidEnvName(s), portableName.MatchString(s); got != want {
			t.Fatalf("ValidEnvName(%q): got %v, want %v", s, got, want)
		}
	})
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"app\x00-x", "--probe\x00cat\x00/f", "--self-copy\x00/d", "--probe", "", "--self-copy\x00a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var args []string
		if s != "" {
			args = strings.Split(s, "\x00")
		}
		inv, err := parseArgs(args)
		switch {
		case err != nil:
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("got error %v, want one matching ErrUsage", err)
			}
		case inv.selfCopy != "":
			if inv.argv != nil || inv.probe || args[0] != envcontract.SelfCopyFlag {
				t.Fatalf("got %+v from %q, want only a self-copy", inv, args)
			}
		case len(inv.argv) == 0 || inv.argv[0] == "":
			t.Fatalf("got %+v from %q, want a command", inv, args)
		}
	})
}

// fuzzReader answers any read: a path containing "denied" is refused, any
// other holds K, k-x and a NUL value.
type fuzzReader struct{ fakeReader }

func (f *fuzzReader) Read(_ context.Context, _ store.Login, path string, version int) (*store.Secret, error) {
	f.mu.Lock()
	f.calls[source{path: path, version: version}]++
	f.mu.Unlock()
	if strings.Contains(path, "denied") {
		return nil, &store.Error{Op: store.OpRead, Path: path, Kind: store.ErrPermissionDenied}
	}
	return &store.Secret{Path: path, Version: version, Data: map[string]string{
		"K": "value of " + path, "k-x": "v", "Z": "a\x00b", envcontract.Role: "v",
	}}, nil
}

// FuzzResolve feeds arbitrary environments (entries separated by "\n") and
// env-from-path lists: the command's environment never holds a control
// variable, an unresolved reference or a repeated name, and each source is
// read at most once.
func FuzzResolve(f *testing.F) {
	f.Add("A=secrets-store:kv/p#K\nB=secrets-store:kv/p#K#2\nC=plain", "kv/q,kv/p", false)
	f.Add("A=secrets-store:kv/denied#K\nA=x\nSECRETS_STORE_ROLE=r\n=secrets-store:x#y\nNOEQ", "kv/denied", true)
	f.Add("K=secrets-store:kv/p#K\nX=secrets-store:kv/p#\nY=secrets-store:kv/p#nope", "", true)
	f.Add("Z=secrets-store:kv/p#Z", "kv/p", false)
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, environ, paths string, ignore bool) {
		cfg := testConfig()
		cfg.IgnoreMissing = ignore
		cfg.EnvFromPath, _ = secretref.ParsePathVersionList(paths)
		r := &fuzzReader{fakeReader{calls: map[source]int{}}}
		in := strings.Split(environ, "\n")
		given := map[string]bool{}
		for _, kv := range in {
			given[kv] = true
		}
		env, err := Resolve(t.Context(), cfg, r, in, log)
		for s, n := range r.calls {
			if n != 1 {
				t.Fatalf("read %s: got %d reads, want 1", strconv.Quote(s.path), n)
			}
		}
		if err != nil {
			if ignore {
				t.Fatalf("got error %v with ignore-missing, want none", err)
			}
			var fail *Failure
			if !errors.As(err, &fail) {
				t.Fatalf("got %T, want *Failure", err)
			}
			return
		}
		names := map[string]bool{}
		for _, kv := range env {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				continue // not a variable; passed through untouched
			}
			switch {
			case strings.HasPrefix(name, envcontract.Prefix):
				t.Fatalf("got control variable %q", kv)
			case secretref.IsRef(value):
				t.Fatalf("got unresolved reference %q", kv)
			case names[name]:
				t.Fatalf("got %s twice in %q", name, env)
			case strings.IndexByte(value, 0) >= 0 && !given[kv]:
				t.Fatalf("got a NUL byte from the store in %q", kv)
			}
			names[name] = true
		}
	})
}
