// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	mk("a/noexec", 0o644)
	appB := mk("b/app", 0o755)
	mk("b/noexec", 0o644)
	appC := mk("c/app", 0o755)
	mk("c/noexec-only", 0o600)
	if err := os.MkdirAll(filepath.Join(a, "app"), 0o755); err != nil { // a directory is skipped
		t.Fatal(err)
	}
	local := mk("work/tool", 0o755)
	t.Chdir(filepath.Dir(local))

	tests := []struct {
		name    string
		cmd     string
		env     []string
		want    string
		wantErr error
	}{
		{name: "first executable in PATH order", cmd: "app", env: []string{"PATH=" + a + ":" + c + ":" + b}, want: appC},
		{name: "first PATH value counts", cmd: "app", env: []string{"PATH=" + b, "PATH=" + c}, want: appB},
		{name: "not executable, none better", cmd: "noexec", env: []string{"PATH=" + a + ":" + b}, wantErr: ErrNotExecutable},
		{name: "not executable, executable later", cmd: "app", env: []string{"PATH=" + a + ":" + b}, want: appB},
		{name: "not found", cmd: "nothing", env: []string{"PATH=" + a + ":" + b}, wantErr: ErrNotFound},
		{name: "empty PATH finds nothing but the working directory", cmd: "app", env: []string{"PATH="}, wantErr: ErrNotFound},
		{name: "empty element is the working directory", cmd: "tool", env: []string{"PATH=" + a + "::" + b}, want: "./tool"},
		{name: "a name with a slash is used as is", cmd: "./missing", env: []string{"PATH=" + b}, want: "./missing"},
		{name: "absolute path is used as is", cmd: appC, env: nil, want: appC},
		{name: "empty name", cmd: "", env: []string{"PATH=" + b}, wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.cmd, tt.env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLookPathDefaultPath(t *testing.T) {
	// Without PATH the runtime's default is searched; sh is in it on any
	// system that runs these tests.
	got, err := lookPath("sh", []string{"HOME=/"})
	if err != nil {
		t.Fatalf("got error %v, want sh from %s", err, defaultPath)
	}
	if d := filepath.Dir(got); !containsDir(defaultPath, d) {
		t.Errorf("got %q, want a file in %s", got, defaultPath)
	}
}

func containsDir(list, dir string) bool {
	for _, d := range filepath.SplitList(list) {
		if d == dir {
			return true
		}
	}
	return false
}

func TestCommandExecFailures(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a program"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"missing file", []string{filepath.Join(dir, "missing")}, ExitNotFound},
		{"missing directory", []string{filepath.Join(dir, "nodir", "app")}, ExitNotFound},
		{"not executable", []string{noexec}, ExitNotExecutable},
		{"a directory", []string{dir}, ExitNotExecutable},
		{"not a program", []string{garbage}, ExitNotExecutable},
		{"not in PATH", []string{"no-such-command"}, ExitNotFound},
		{"no args", nil, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case fails before or inside execve, so the test process survives.
			err := Command{Args: tt.args, Env: []string{"PATH=" + dir}}.Exec()
			if got := ExitCode(err); got != tt.want {
				t.Errorf("got exit code %d (%v), want %d", got, err, tt.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("x"), ExitFailure},
		{fmt.Errorf("a: %w", ErrNotFound), ExitNotFound},
		{fmt.Errorf("a: %w", ErrNotExecutable), ExitNotExecutable},
		{fmt.Errorf("a: %w", ErrUsage), ExitUsage},
		{errors.Join(&Failure{Var: "A", Err: errors.New("x")}), ExitFailure},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
