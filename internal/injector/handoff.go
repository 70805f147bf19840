// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/sys/unix"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/watcher"
)

// handOff executes the watcher (internal/watcher) in the injector's place
// for watch-for-data: the watcher starts the command and polls with a
// fraction of the injector's memory. It returns only when the watcher
// cannot take over, saying why; the injector then watches itself.
func handOff(ctx context.Context, cfg Config, r Reader, res *resolution, cmd Command, log *slog.Logger) error {
	bin, err := watcherBinary()
	if err != nil {
		return err
	}
	h, err := newHandoff(ctx, cfg, r, res, cmd)
	if err != nil {
		return err
	}
	if err := h.Check(); err != nil {
		return err
	}
	b, err := h.MarshalBinary()
	if err != nil {
		return err
	}
	fd, err := sealedFile(b)
	if err != nil {
		return err
	}
	log.Debug("handing the watch over to the watcher", "paths", len(h.Sources))
	argv := []string{bin, watcher.HandoffFlag, strconv.Itoa(fd)}
	err = unix.Exec(bin, argv, watcherEnv(os.Environ()))
	_ = unix.Close(fd)
	return fmt.Errorf("exec the watcher: %w", err)
}

// watcherBinary is the watcher next to the running injector: in the
// module's volume or the directory the init container copied both to.
func watcherBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the injector's own path: %w", err)
	}
	bin := filepath.Join(filepath.Dir(exe), envcontract.WatcherBinaryName)
	st, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("no watcher next to the injector: %w", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable file", bin)
	}
	return bin, nil
}

// watcherEnv is the watcher's own environment: none of the command's (its
// values are secrets, and /proc/1/environ is readable by the container's
// user), only what changes how times are written in the log, and the Go
// runtime's settings of a small watcher from its first instruction on: one
// processor (one set of per-processor caches and fewer threads) and the GC
// target of package watcher's settle.
func watcherEnv(environ []string) []string {
	env := []string{"GOMAXPROCS=1", "GOGC=25"}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TZ=") {
			env = append(env, kv)
		}
	}
	return env
}

// sealedFile writes b to a memory file sealed against any change and
// returns its descriptor, inherited across execve (no close-on-exec).
func sealedFile(b []byte) (int, error) {
	fd, err := unix.MemfdCreate("secrets-store-handoff", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, fmt.Errorf("create the hand-off file: %w", err)
	}
	for done := 0; done < len(b); {
		n, err := unix.Write(fd, b[done:])
		if err != nil {
			_ = unix.Close(fd)
			return -1, fmt.Errorf("write the hand-off file: %w", err)
		}
		done += n
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("seal the hand-off file: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		_ = unix.Close(fd)
		return -1, fmt.Errorf("pass the hand-off file on: %w", err)
	}
	return fd, nil
}

// newHandoff gathers what the watcher needs. It fails, so that the
// injector watches itself, for what the watcher does not do: a proxy, a
// store client other than *store.Client, a JWT not read from a file, an
// answer without its API path.
func newHandoff(ctx context.Context, cfg Config, r Reader, res *resolution, cmd Command) (*watcher.Handoff, error) {
	c, ok := r.(*store.Client)
	if !ok {
		return nil, errors.New("not the store client")
	}
	if cfg.JWT != nil {
		return nil, errors.New("the ServiceAccount token comes from the caller, not from a file the watcher can read")
	}
	path, err := commandPath(cmd)
	if err != nil {
		return nil, err
	}
	st, err := storeOf(cfg)
	if err != nil {
		return nil, err
	}
	l, err := cfg.Login().Normalized()
	if err != nil {
		return nil, err
	}
	st.AuthPath, st.Role, st.TokenFile = l.AuthPath, l.Role, cfg.tokenFile()
	if st.Token, err = c.Token(ctx, l); err != nil {
		return nil, err
	}
	if ti, ok := c.TokenInfo(l); ok {
		st.TokenTTL, st.TokenObtained = ti.TTL, ti.Obtained
	}
	h := &watcher.Handoff{
		Store:         *st,
		Interval:      jitter(cfg.PollInterval, mrand.Float64()), //nolint:gosec // G404: spreading polls needs no secrecy
		Grace:         cfg.GracePeriod,
		IgnoreMissing: cfg.IgnoreMissing,
		KeepToken:     res.plan.login,
		LogLevel:      int(cfg.LogLevel),
		JSONLog:       cfg.JSONLog,
		Path:          path,
		Argv:          cmd.Args,
		Env:           cmd.Env,
	}
	if h.Sources, err = watchedSources(res, st.PathPrefix); err != nil {
		return nil, err
	}
	return h, nil
}

// commandPath finds the command as startChild does, so that a command that
// cannot start fails in the injector with the injector's messages.
func commandPath(cmd Command) (string, error) {
	if len(cmd.Args) == 0 {
		return "", fmt.Errorf("no command: %w", ErrUsage)
	}
	p, err := lookPath(cmd.Args[0], cmd.Env)
	if err != nil {
		return "", err
	}
	return p, checkArgSize(p, cmd.Args, cmd.Env, currentLimits())
}

// storeOf is the connection part of the hand-off.
func storeOf(cfg Config) (*watcher.Store, error) {
	u, err := url.Parse(cfg.Store.Address)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("the store address is not an http(s) URL")
	}
	// As the store client's transport decides (http.ProxyFromEnvironment).
	if proxy, err := httpproxy.FromEnvironment().ProxyFunc()(u); err != nil || proxy != nil {
		return nil, errors.New("the store is reached through a proxy")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[u.Scheme]
	}
	st := &watcher.Store{
		Addr: net.JoinHostPort(u.Hostname(), port), Host: u.Host, PathPrefix: strings.TrimSuffix(u.Path, "/"),
		TLS: u.Scheme == "https", ServerName: u.Hostname(), CACert: cfg.Store.CACert,
		SkipVerify: cfg.Store.SkipTLSVerify, Namespace: cfg.Store.Namespace, Timeout: cfg.Timeout,
	}
	if st.Timeout <= 0 {
		st.Timeout = store.DefaultTimeout
	}
	if cfg.Store.CAFile != "" {
		if st.CACert, err = os.ReadFile(cfg.Store.CAFile); err != nil {
			return nil, fmt.Errorf("read the store CA file: %w", err)
		}
	}
	return st, nil
}

// watchedSources are the reads watch-for-data repeats (see pollable), each
// with the keys the command depends on.
func watchedSources(res *resolution, prefix string) ([]watcher.Source, error) {
	w := &watch{res: res}
	var out []watcher.Source
	for _, s := range w.pollable() {
		sec := res.got[s].secret
		if sec.StorePath == "" || len(sec.Body) == 0 {
			return nil, fmt.Errorf("the answer of %q lacks its API path", s.path)
		}
		target := watcher.APITarget(prefix, sec.StorePath, s.version)
		src := watcher.Source{Path: s.path, Version: s.version, Target: target, V2: sec.Version > 0, Body: sec.Body}
		res.plan.keysOf(s, &src)
		out = append(out, src)
	}
	return out, nil
}

// keysOf sets the keys src's data is used for: those references name, those
// templates read, and every key when env-from-path imports the path or a
// template's keys cannot be known.
func (p *plan) keysOf(s source, src *watcher.Source) {
	if slices.Contains(p.imports, secretref.PathVersion{Path: s.path, Version: s.version}) {
		src.All = true
	}
	for _, e := range p.env {
		for i, part := range e.value.Parts {
			x := part.Expr
			if x == nil || x.Path != s.path || x.Version != s.version {
				continue
			}
			switch x.Kind {
			case secretref.KindKey:
				src.Keys = append(src.Keys, x.Key)
				src.Required = append(src.Required, x.Key)
			case secretref.KindTemplate:
				keys, all := e.tmpls[i].Keys()
				src.Keys = append(src.Keys, keys...)
				src.All = src.All || all
			}
		}
	}
}
