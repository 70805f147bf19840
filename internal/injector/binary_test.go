// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/buildinfo"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// binaryBudget is the size limit of the stripped static injector.
const binaryBudget = 9_000_000

// built is the injector binary, built once per test process exactly as the
// image builds it.
var built struct {
	once sync.Once
	dir  string
	path string
	skip string
	err  error
}

func injectorBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		gotool, err := exec.LookPath("go")
		if err != nil {
			built.skip = "no go tool to build the injector: " + err.Error()
			return
		}
		// Not t.TempDir: the binary outlives the test that builds it, every test
		// of the process shares it, and TestMain removes the directory.
		if built.dir, built.err = os.MkdirTemp("", "injector-test-"); built.err != nil { //nolint:usetesting // see above
			return
		}
		built.path = filepath.Join(built.dir, "injector")
		// The build runs inside the first caller's test, so its context is live.
		cmd := exec.CommandContext(t.Context(), gotool, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", built.path,
			"github.com/deckhouse/secrets-store-integration/images/injector")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = errors.New("go build: " + err.Error() + "\n" + string(out))
			return
		}
		// The watcher a watch-for-data injector executes, next to it as in the module's volume.
		cmd = exec.CommandContext(t.Context(), gotool, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
			"-o", filepath.Join(built.dir, envcontract.WatcherBinaryName),
			"github.com/deckhouse/secrets-store-integration/images/"+envcontract.WatcherBinaryName)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = errors.New("go build the watcher: " + err.Error() + "\n" + string(out))
		}
	})
	if built.skip != "" {
		t.Skip(built.skip)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

func removeBuiltBinary() {
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
}

func TestBinarySize(t *testing.T) {
	fi, err := os.Stat(injectorBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stripped static injector: %d bytes", fi.Size())
	if fi.Size() > binaryBudget {
		t.Errorf("got %d bytes, want at most %d", fi.Size(), binaryBudget)
	}
}

// slowInitModules run package initializers that cost a measurable part of
// every container start (regexp compilation, random seeding, tables of
// powers of ten) and bring nothing the injector needs: internal/sprig
// gives Sprig's template functions without them, and spf13/cast would also
// link html/template's method tables.
var slowInitModules = []string{
	"github.com/Masterminds/sprig/v3", "github.com/Masterminds/semver/v3", "github.com/Masterminds/goutils",
	"github.com/spf13/cast", "github.com/google/uuid", "github.com/shopspring/decimal",
}

func TestBinaryLeavesOutSlowInits(t *testing.T) {
	info, err := buildinfo.ReadFile(injectorBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Deps) == 0 {
		t.Fatal("the binary lists no modules; the check would pass for any binary")
	}
	for _, d := range info.Deps {
		if slices.Contains(slowInitModules, d.Path) {
			t.Errorf("the injector links %s %s", d.Path, d.Version)
		}
	}
}

// result is one run of the injector binary.
type result struct {
	code           int
	pid            int // of the injector process
	stdout, stderr string
	helperPID      int               // as the helper saw it; 0 if it did not run
	env            map[string]string // the helper's environment
}

func runInjector(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), injectorBinary(t), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), env: map[string]string{}}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run injector: %v", err)
	}
	r.pid = cmd.Process.Pid
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimSuffix(line, "\n")
		if s, ok := strings.CutPrefix(line, "pid="); ok {
			r.helperPID, _ = strconv.Atoi(s)
		}
		if s, ok := strings.CutPrefix(line, "env "); ok {
			kv, err := strconv.Unquote(s)
			if err != nil {
				t.Fatalf("helper output %q: %v", line, err)
			}
			k, v, _ := strings.Cut(kv, "=")
			r.env[k] = v
		}
	}
	return r
}

// storeEnv is the environment the webhook would give a container reading
// from f, with the token in a file and the CA inline.
func storeEnv(t *testing.T, f *fakeStore) []string {
	t.Helper()
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte(storeJWT+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=/usr/bin:/bin",
		helperEnv + "=1",
		envcontract.Addr + "=" + f.srv.URL,
		envcontract.AuthPath + "=" + storeAuth,
		envcontract.Role + "=" + storeRole,
		envcontract.ServiceAccount + "=myapp/myapp-sa",
		envcontract.TokenFile + "=" + token,
		envcontract.CACert + "=" + f.caPEM(),
		envcontract.LogLevel + "=debug",
	}
}

// checkClean fails if the injector's output holds a secret, the JWT or the
// store token.
func checkClean(t *testing.T, r result) {
	t.Helper()
	for _, s := range []string{"VALUE-SECRET", storeJWT, "JWT-SECRET", storeToken, "TOKEN-SECRET"} {
		if strings.Contains(r.stderr, s) {
			t.Errorf("got %q in stderr:\n%s", s, r.stderr)
		}
	}
}

func testExecutable(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestBinaryRunsTheCommandWithSecrets(t *testing.T) {
	f := newFakeStore(t)
	// The application is found through the PATH of its own environment.
	bin := t.TempDir()
	if err := os.Symlink(testExecutable(t), filepath.Join(bin, "app")); err != nil {
		t.Fatal(err)
	}
	env := append(storeEnv(t, f),
		envcontract.EnvFromPath+"=demo-kv/data/common",
		"PASS=secrets-store:demo-kv/data/app#DB_PASS",
		"DB_USER=secrets-store:demo-kv/data/app#DB_USER",
		"PLAIN=plain value",
		"VAULT_SKIP_VERIFY=maybe", // malformed for the stores' client libraries; must reach the application untouched
		helperExitEnv+"=7",
	)
	r := runInjector(t, moveFirst(env, "PATH="+bin), "app", "arg1")
	if r.code != 7 {
		t.Fatalf("got exit code %d, want 7 (the application's)\nstderr:\n%s", r.code, r.stderr)
	}
	if r.helperPID != r.pid {
		t.Errorf("got application PID %d, want the injector's %d: the injector must exec in place", r.helperPID, r.pid)
	}
	want := map[string]string{
		"PASS":              secretPass,
		"DB_USER":           "VALUE-SECRET-common-user", // env-from-path wins over the reference
		"COMMON":            secretCommon,
		"PLAIN":             "plain value",
		"VAULT_SKIP_VERIFY": "maybe",
		"PATH":              bin,
	}
	for k, v := range want {
		if r.env[k] != v {
			t.Errorf("application variable %s: got %q, want %q", k, r.env[k], v)
		}
	}
	for k := range r.env {
		if strings.HasPrefix(k, envcontract.Prefix) {
			t.Errorf("application got control variable %s, want none", k)
		}
	}
	for _, p := range []string{"demo-kv/data/app", "demo-kv/data/common"} {
		if n := f.readCount(p); n != 1 {
			t.Errorf("read %s: got %d reads, want 1", p, n)
		}
	}
	if !strings.Contains(r.stderr, `msg="environment resolved" count=3`) {
		t.Errorf("got stderr\n%s\nwant the summary line", r.stderr)
	}
	checkClean(t, r)
}

// moveFirst returns env with entry first and other values of its name removed.
func moveFirst(env []string, entry string) []string {
	name, _, _ := strings.Cut(entry, "=")
	out := []string{entry}
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// selfSignedPEM is a CA certificate that did not sign the fake store's.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
