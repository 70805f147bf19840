// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

func TestBinaryFailures(t *testing.T) {
	f := newFakeStore(t)
	notExec := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	otherCA := selfSignedPEM(t)
	tests := []struct {
		name    string
		env     []string
		args    []string
		want    int
		wantErr []string // lines of stderr, each prefixed by the program
	}{{
		name: "command not found",
		args: []string{"no-such-command"},
		want: ExitNotFound,
		wantErr: []string{
			`secrets-store injector: exec "no-such-command": command not found in PATH "/usr/bin:/bin"`,
		},
	}, {
		name:    "command not executable",
		args:    []string{notExec},
		want:    ExitNotExecutable,
		wantErr: []string{`secrets-store injector: exec "` + notExec + `": command cannot be executed: permission denied`},
	}, {
		name: "reference refused",
		env:  []string{"PASS=secrets-store:demo-kv/data/denied/x#DB_PASS", "OK=secrets-store:demo-kv/data/app#DB_PASS"},
		want: ExitFailure,
		wantErr: []string{
			`secrets-store injector: PASS: secrets-store:demo-kv/data/denied/x#DB_PASS: role "myapp-role" may not read secret "demo-kv/data/denied/x"`,
		},
	}, {
		name: "missing key and path",
		env: []string{
			envcontract.EnvFromPath + "=demo-kv/data/gone",
			"PASS=secrets-store:demo-kv/data/app#NOPE",
		},
		want: ExitFailure,
		wantErr: []string{
			`secrets-store injector: env-from-path demo-kv/data/gone: secret "demo-kv/data/gone" not found`,
			`secrets-store injector: PASS: secrets-store:demo-kv/data/app#NOPE: key "NOPE" not found in secret "demo-kv/data/app"`,
		},
	}, {
		name:    "invalid reference",
		env:     []string{"PASS=secrets-store:demo-kv/data/app"},
		want:    ExitFailure,
		wantErr: []string{`secrets-store injector: PASS: invalid secret reference "secrets-store:demo-kv/data/app": missing "#KEY"`},
	}, {
		name:    "login refused, the store echoing the token",
		env:     []string{envcontract.Role + "=other-role", "PASS=secrets-store:demo-kv/data/app#DB_PASS"},
		want:    ExitFailure,
		wantErr: []string{`secrets-store injector: PASS: secrets-store:demo-kv/data/app#DB_PASS: login as role "other-role" at "auth/kubernetes_local" refused`},
	}, {
		name:    "untrusted store certificate",
		env:     []string{envcontract.CACert + "=" + otherCA, "PASS=secrets-store:demo-kv/data/app#DB_PASS"},
		want:    ExitFailure,
		wantErr: []string{`secrets-store injector: PASS: secrets-store:demo-kv/data/app#DB_PASS: login as role "myapp-role" at "auth/kubernetes_local": tls verification of the store failed`},
	}, {
		name: "bad settings",
		env:  []string{envcontract.JSONLog + "=maybe", envcontract.ClientTimeout + "=10"},
		want: ExitFailure,
		wantErr: []string{
			`secrets-store injector: ` + envcontract.JSONLog + `: invalid boolean "maybe"`,
			`secrets-store injector: ` + envcontract.ClientTimeout + `: invalid duration "10"`,
		},
	}, {
		name:    "no command",
		args:    []string{envcontract.ProbeFlag},
		want:    ExitUsage,
		wantErr: []string{`secrets-store injector: no command: usage:`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args == nil {
				args = []string{testExecutable(t)}
			}
			env := storeEnv(t, f)
			for _, kv := range tt.env {
				env = moveFirst(env, kv)
			}
			r := runInjector(t, env, args...)
			if r.code != tt.want {
				t.Errorf("got exit code %d, want %d\nstderr:\n%s", r.code, tt.want, r.stderr)
			}
			if r.helperPID != 0 {
				t.Errorf("got the application started, want it not to")
			}
			var lines []string
			for line := range strings.Lines(r.stderr) {
				if strings.HasPrefix(line, reportPrefix) {
					lines = append(lines, line)
				}
			}
			if len(lines) != len(tt.wantErr) {
				t.Fatalf("got stderr\n%s\nwant %d report lines", r.stderr, len(tt.wantErr))
			}
			for i, w := range tt.wantErr {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("got line %q, want it to start with %q", lines[i], w)
				}
			}
			checkClean(t, r)
		})
	}
}

func TestBinaryIgnoreMissing(t *testing.T) {
	f := newFakeStore(t)
	env := storeEnv(t, f)
	for _, kv := range []string{
		envcontract.IgnoreMissing + "=true",
		envcontract.JSONLog + "=true",
		"PASS=secrets-store:demo-kv/data/denied/x#DB_PASS",
		"USER=secrets-store:demo-kv/data/app#DB_USER",
	} {
		env = moveFirst(env, kv)
	}
	r := runInjector(t, env, testExecutable(t))
	if r.code != 0 {
		t.Fatalf("got exit code %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	if v, ok := r.env["PASS"]; ok {
		t.Errorf("got PASS=%q, want PASS unset", v)
	}
	if r.env["USER"] != secretUser {
		t.Errorf("got USER=%q, want %q", r.env["USER"], secretUser)
	}
	var warned bool
	for line := range strings.Lines(r.stderr) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("got a stderr line that is not JSON: %q", line)
			continue
		}
		// A missing or non-string error leaves msg empty: no match, and the test fails below.
		msg, _ := rec["error"].(string)
		if rec["level"] == "WARN" && rec["var"] == "PASS" && rec["ref"] == "secrets-store:demo-kv/data/denied/x#DB_PASS" &&
			strings.Contains(msg, "may not read") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("got stderr\n%s\nwant a warning naming PASS, its reference and the reason", r.stderr)
	}
	checkClean(t, r)
}

func TestBinaryProbe(t *testing.T) {
	f := newFakeStore(t)
	env := storeEnv(t, f)
	for _, kv := range []string{
		envcontract.LogLevel + "=info",
		"PASS=secrets-store:demo-kv/data/app#DB_PASS",
		helperExitEnv + "=3",
	} {
		env = moveFirst(env, kv)
	}
	r := runInjector(t, env, envcontract.ProbeFlag, testExecutable(t))
	if r.code != 3 {
		t.Fatalf("got exit code %d, want the probe command's 3\nstderr:\n%s", r.code, r.stderr)
	}
	if r.env["PASS"] != secretPass {
		t.Errorf("got PASS=%q, want the secret", r.env["PASS"])
	}
	if r.stderr != "" {
		t.Errorf("got stderr %q, want none: a probe's output is shown in events", r.stderr)
	}
}

func TestBinaryCAFileWins(t *testing.T) {
	f := newFakeStore(t)
	caFile := filepath.Join(t.TempDir(), envcontract.CAFileName)
	if err := os.WriteFile(caFile, []byte(f.caPEM()), 0o600); err != nil {
		t.Fatal(err)
	}
	env := storeEnv(t, f)
	for _, kv := range []string{
		envcontract.CAFile + "=" + caFile,
		envcontract.CACert + "=not a PEM bundle", // ignored: the annotation's CA wins
		"PASS=secrets-store:demo-kv/data/app#DB_PASS",
	} {
		env = moveFirst(env, kv)
	}
	r := runInjector(t, env, testExecutable(t))
	if r.code != 0 || r.env["PASS"] != secretPass {
		t.Fatalf("got exit code %d and PASS=%q, want 0 and the secret\nstderr:\n%s", r.code, r.env["PASS"], r.stderr)
	}
}

func TestBinarySelfCopy(t *testing.T) {
	bin := injectorBinary(t)
	dir := t.TempDir()
	dst := filepath.Join(dir, "injector")
	r := runInjector(t, []string{}, envcontract.SelfCopyFlag, dst)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("got exit code %d, stderr %q, want 0 and none", r.code, r.stderr)
	}
	// The injector, and the watcher next to it.
	watcher := envcontract.WatcherBinaryName
	for src, copied := range map[string]string{bin: dst, filepath.Join(filepath.Dir(bin), watcher): filepath.Join(dir, watcher)} {
		want, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(copied)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got a copy of %d bytes that differs from the %d-byte %s", len(got), len(want), src)
		}
		fi, err := os.Stat(copied)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o755 {
			t.Errorf("%s: got mode %v, want -rwxr-xr-x", copied, fi.Mode())
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("got %d entries in the destination directory, want the two copies", len(entries))
	}
	// The copy runs: without a command it reports its usage.
	cmd := exec.CommandContext(t.Context(), dst)
	cmd.Env = []string{}
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != ExitUsage || !strings.HasPrefix(string(out), reportPrefix+"no command") {
		t.Errorf("copy run: got exit code %d and %q, want %d and the usage", cmd.ProcessState.ExitCode(), out, ExitUsage)
	}
}
