// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// validEnv is the smallest environment that passes ParseConfig and Validate.
func validEnv() []string {
	return []string{
		envcontract.Addr + "=https://stronghold.example:8200",
		envcontract.AuthPath + "=kubernetes_local",
		envcontract.Role + "=myapp-role",
		envcontract.ServiceAccount + "=myapp/myapp-sa",
	}
}

func TestParseConfig(t *testing.T) {
	testPEM := selfSignedPEM(t)
	base := Config{
		Store: store.Config{
			Address: "https://stronghold.example:8200", Timeout: store.DefaultTimeout,
		},
		AuthPath: "kubernetes_local", Role: "myapp-role", ServiceAccount: "myapp/myapp-sa",
		Timeout: store.DefaultTimeout, LogLevel: slog.LevelInfo,
		RestartOn: envcontract.RestartNone, PollInterval: DefaultPollInterval, GracePeriod: DefaultGracePeriod,
	}
	tests := []struct {
		name string
		env  []string
		want func(c *Config)
	}{{
		name: "defaults",
		want: func(*Config) {},
	}, {
		name: "every setting",
		env: []string{
			envcontract.Namespace + "=team-a",
			envcontract.EnvFromPath + "=kv/data/a, kv/data/b,kv/data/a",
			envcontract.IgnoreMissing + "=true",
			envcontract.ClientTimeout + "=1m30s",
			envcontract.LogLevel + "=DEBUG",
			envcontract.JSONLog + "=1",
			envcontract.TLSSkipVerify + "=TRUE",
			envcontract.CACert + "=" + testPEM,
			envcontract.TokenFile + "=/tok",
		},
		want: func(c *Config) {
			c.Store.Namespace = "team-a"
			c.EnvFromPath = pathVersions("kv/data/b", "kv/data/a")
			c.IgnoreMissing = true
			c.Timeout, c.Store.Timeout = 90*time.Second, 90*time.Second
			c.LogLevel = slog.LevelDebug
			c.JSONLog = true
			c.Store.SkipTLSVerify = true
			c.Store.CACert = []byte(testPEM)
			c.TokenFile = "/tok"
		},
	}, {
		name: "the annotation's CA file wins over the module's CA",
		env:  []string{envcontract.CACert + "=" + testPEM, envcontract.CAFile + "=/ca/ca.crt"},
		want: func(c *Config) { c.Store.CAFile = "/ca/ca.crt" },
	}, {
		name: "empty values take the defaults",
		env: []string{
			envcontract.EnvFromPath + "=", envcontract.IgnoreMissing + "=", envcontract.ClientTimeout + "=",
			envcontract.LogLevel + "=", envcontract.CACert + "=",
		},
		want: func(*Config) {},
	}, {
		name: "watch-for-data keeps the store connection from one poll to the next",
		env:  []string{envcontract.RestartOn + "=watch-for-data", envcontract.PollInterval + "=10m"},
		want: func(c *Config) {
			c.RestartOn, c.PollInterval = envcontract.RestartWatchData, 10*time.Minute
			c.Store.IdleTimeout = 13*time.Minute + pollIdleMargin
		},
	}, {
		name: "watch-for-data at a short interval keeps the client's default",
		env:  []string{envcontract.RestartOn + "=watch-for-data", envcontract.PollInterval + "=5s"},
		want: func(c *Config) {
			c.RestartOn, c.PollInterval = envcontract.RestartWatchData, 5*time.Second
			c.Store.IdleTimeout = store.DefaultIdleTimeout
		},
	}, {
		name: "the first value of a name counts",
		env:  []string{envcontract.Role + "=first", envcontract.Role + "=second"},
		want: func(c *Config) { c.Role = "first" },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// After the test's, so that the test's values count.
			got, err := ParseConfig(slices.Concat(tt.env, validEnv()))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			want := base
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate: got %v, want nil", err)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string // lines of the error
	}{{
		name: "malformed values name their variables",
		env: []string{
			envcontract.IgnoreMissing + "=yes", envcontract.JSONLog + "=maybe", envcontract.TLSSkipVerify + "=on",
			envcontract.ClientTimeout + "=10", envcontract.LogLevel + "=verbose", envcontract.EnvFromPath + "=a,,b",
			envcontract.RestartOn + "=always", envcontract.PollInterval + "=5", envcontract.GracePeriod + "=-1s",
		},
		want: []string{
			envcontract.EnvFromPath + `: invalid secret path list "a,,b": element 2 is empty`,
			envcontract.IgnoreMissing + `: invalid boolean "yes": use true or false`,
			envcontract.JSONLog + `: invalid boolean "maybe"`,
			envcontract.TLSSkipVerify + `: invalid boolean "on"`,
			envcontract.ClientTimeout + `: invalid duration "10": use a positive Go duration`,
			envcontract.LogLevel + `: invalid log level "verbose": use debug, info, warn or error`,
			envcontract.RestartOn + `: invalid restart mode "always": use none, watch-for-data or watch-for-lease`,
			envcontract.PollInterval + `: invalid duration "5"`,
			envcontract.GracePeriod + `: invalid duration "-1s"`,
		},
	}, {
		name: "zero and negative timeouts",
		env:  []string{envcontract.ClientTimeout + "=0s"},
		want: []string{envcontract.ClientTimeout + `: invalid duration "0s"`},
	}, {
		name: "a path that is not a path",
		env:  []string{envcontract.EnvFromPath + "=kv/data/a#b"},
		want: []string{envcontract.EnvFromPath + `: invalid secret path list "kv/data/a#b": element 1: version must be`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(slices.Concat(tt.env, validEnv()))
			checkLines(t, err, tt.want)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{{
		name: "nothing set",
		env:  []string{"HOME=/"},
		want: []string{
			envcontract.Addr + " is empty",
			envcontract.AuthPath + " is empty",
			envcontract.Role + " is empty",
			envcontract.ServiceAccount + ` must be namespace/name, got ""`,
		},
	}, {
		name: "bad address",
		env:  []string{envcontract.Addr + "=ftp://store"},
		want: []string{envcontract.Addr + `: store address "ftp://store": scheme must be https or http`},
	}, {
		name: "bad module CA",
		env:  []string{envcontract.CACert + "=not PEM"},
		want: []string{envcontract.CACert + ": store caCert holds no PEM certificate"},
	}, {
		name: "bad service accounts",
		env:  []string{envcontract.ServiceAccount + "=myapp"},
		want: []string{envcontract.ServiceAccount + ` must be namespace/name, got "myapp"`},
	}, {
		name: "service account with an empty part",
		env:  []string{envcontract.ServiceAccount + "=myapp/"},
		want: []string{envcontract.ServiceAccount + ` must be namespace/name, got "myapp/"`},
	}, {
		name: "service account with a uid",
		env:  []string{envcontract.ServiceAccount + "=myapp/sa/0f1e"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env[0] != "HOME=/" {
				env = slices.Concat(env, validEnv())
			}
			c, err := ParseConfig(env)
			if err != nil {
				t.Fatalf("ParseConfig: got %v, want nil", err)
			}
			checkLines(t, c.Validate(), tt.want)
		})
	}
	t.Run("timeout", func(t *testing.T) {
		c := testConfig()
		c.Timeout = 0
		checkLines(t, c.Validate(), []string{envcontract.ClientTimeout + " must be positive"})
	})
}

// checkLines checks that err has one line per wanted prefix, in order; nil
// want means no error.
func checkLines(t *testing.T, err error, want []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got error\n%v\nwant %d lines", err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: got %q, want it to start with %q", i, lines[i], w)
		}
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	projected := write("projected", "jwt-projected")
	legacy := write("legacy", "jwt-legacy")
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name                string
		file                string
		defaultFile, legacy string
		want                string
		wantErr             error
	}{
		{name: "explicit file", file: legacy, defaultFile: projected, legacy: projected, want: "jwt-legacy"},
		{name: "explicit file missing: no fallback", file: missing, defaultFile: projected, legacy: legacy, wantErr: fs.ErrNotExist},
		{name: "projected token", defaultFile: projected, legacy: legacy, want: "jwt-projected"},
		{name: "kubelet's token when no projected one", defaultFile: missing, legacy: legacy, want: "jwt-legacy"},
		{name: "no token at all", defaultFile: missing, legacy: missing, wantErr: fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldDefault, oldLegacy := defaultTokenFile, legacyTokenFile
			defaultTokenFile, legacyTokenFile = tt.defaultFile, tt.legacy
			t.Cleanup(func() { defaultTokenFile, legacyTokenFile = oldDefault, oldLegacy })
			c := testConfig()
			c.TokenFile = tt.file
			got, err := c.Login().JWT(t.Context())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got token %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogger(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		json  bool
		probe bool
		want  []string // messages logged by debug, info, warn, error in turn
	}{
		{name: "info text", level: slog.LevelInfo, want: []string{"info", "warn", "error"}},
		{name: "debug json", level: slog.LevelDebug, json: true, want: []string{"debug", "info", "warn", "error"}},
		{name: "probe raises to warn", level: slog.LevelDebug, probe: true, want: []string{"warn", "error"}},
		{name: "probe keeps error", level: slog.LevelError, probe: true, want: []string{"error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := testConfig()
			c.LogLevel, c.JSONLog = tt.level, tt.json
			log := c.Logger(&buf, tt.probe)
			log.Debug("debug")
			log.Info("info")
			log.Warn("warn")
			log.Error("error")
			var got []string
			for line := range strings.Lines(buf.String()) {
				if tt.json {
					var rec struct{ Msg string }
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatalf("got %q, want a JSON line: %v", line, err)
					}
					got = append(got, rec.Msg)
					continue
				}
				_, msg, _ := strings.Cut(strings.TrimSpace(line), "msg=")
				got = append(got, msg)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got messages %q, want %q", got, tt.want)
			}
		})
	}
}
