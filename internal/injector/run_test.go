// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		want    invocation
		wantErr bool
	}{
		{args: []string{"app", "-x", "--probe"}, want: invocation{argv: []string{"app", "-x", "--probe"}}},
		{args: []string{"--probe", "cat", "/tmp/ready"}, want: invocation{probe: true, argv: []string{"cat", "/tmp/ready"}}},
		{args: []string{"--self-copy", "/secrets-store/injector"}, want: invocation{selfCopy: "/secrets-store/injector"}},
		{args: nil, wantErr: true},
		{args: []string{""}, wantErr: true},
		{args: []string{"--probe"}, wantErr: true},
		{args: []string{"--self-copy"}, wantErr: true},
		{args: []string{"--self-copy", ""}, wantErr: true},
		{args: []string{"--self-copy", "a", "b"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, err := parseArgs(tt.args)
			if tt.wantErr {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("got error %v, want one matching ErrUsage", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v, want %+v, nil", got, err, tt.want)
			}
		})
	}
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	Report(&buf, errors.Join(errors.New("A: first"), errors.New("B: second\nmore")))
	want := "secrets-store injector: A: first\nsecrets-store injector: B: second\nsecrets-store injector: more\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// fakeSystem records what run asks of the world.
type fakeSystem struct {
	reader   *fakeReader
	storeCfg *store.Config
	executed *Command
	copied   string
}

func (f *fakeSystem) system() system {
	return system{
		newReader: func(c store.Config) (Reader, error) { f.storeCfg = &c; return f.reader, nil },
		exec:      func(c Command) error { f.executed = &c; return nil },
		selfCopy:  func(dst string) error { f.copied = dst; return nil },
	}
}

func TestRun(t *testing.T) {
	env := slices.Concat(validEnv(), []string{
		"PATH=/bin", "PASS=secrets-store:demo-kv/data/app#DB_PASS", envcontract.JSONLog + "=true",
	})
	t.Run("resolves, then executes the command", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		var stderr bytes.Buffer
		if err := run(t.Context(), []string{"app", "arg"}, env, &stderr, f.system()); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		want := Command{Args: []string{"app", "arg"}, Env: []string{"PATH=/bin", "PASS=" + secretPass}}
		if f.executed == nil || !reflect.DeepEqual(*f.executed, want) {
			t.Errorf("got command %+v, want %+v", f.executed, want)
		}
		if f.storeCfg == nil || f.storeCfg.Address != "https://stronghold.example:8200" {
			t.Errorf("got store config %+v, want the configured address", f.storeCfg)
		}
		if !strings.Contains(stderr.String(), `"msg":"environment resolved"`) {
			t.Errorf("got stderr %q, want the JSON summary", stderr.String())
		}
	})
	t.Run("probe logs only problems", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		var stderr bytes.Buffer
		if err := run(t.Context(), []string{envcontract.ProbeFlag, "check"}, env, &stderr, f.system()); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if f.executed == nil || !slices.Equal(f.executed.Args, []string{"check"}) {
			t.Errorf("got command %+v, want check", f.executed)
		}
		if stderr.Len() != 0 {
			t.Errorf("got stderr %q, want none", stderr.String())
		}
	})
	t.Run("self-copy touches nothing else", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		if err := run(t.Context(), []string{envcontract.SelfCopyFlag, "/dst"}, nil, nil, f.system()); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if f.copied != "/dst" || f.executed != nil || f.storeCfg != nil {
			t.Errorf("got copied %q, executed %v, store %v, want only a copy to /dst", f.copied, f.executed, f.storeCfg)
		}
	})
	t.Run("bad settings stop before the store", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		err := run(t.Context(), []string{"app"}, []string{"PASS=secrets-store:demo-kv/data/app#DB_PASS"}, nil, f.system())
		if err == nil || f.storeCfg != nil || f.executed != nil {
			t.Errorf("got %v, store %v, executed %v, want an error and nothing done", err, f.storeCfg, f.executed)
		}
	})
	t.Run("a failed reference stops the command", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		bad := append(slices.Clone(env), "X=secrets-store:demo-kv/data/denied#K")
		err := run(t.Context(), []string{"app"}, bad, &bytes.Buffer{}, f.system())
		var fail *Failure
		if !errors.As(err, &fail) || fail.Var != "X" || f.executed != nil {
			t.Errorf("got %v, executed %v, want a failure for X and no command", err, f.executed)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		f := &fakeSystem{reader: newFakeReader()}
		f.reader.wait = func(ctx context.Context, _ source) error { <-ctx.Done(); return ctx.Err() }
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		ignore := append(slices.Clone(env), envcontract.IgnoreMissing+"=true")
		err := run(ctx, []string{"app"}, ignore, &bytes.Buffer{}, f.system())
		if !errors.Is(err, context.Canceled) || f.executed != nil {
			t.Errorf("got %v, executed %v, want context.Canceled and no command", err, f.executed)
		}
	})
}
