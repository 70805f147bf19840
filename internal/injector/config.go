// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// Token files tried when SECRETS_STORE_TOKEN_FILE is unset: the projected
// token the webhook mounts, then the token kubelet mounts by default.
var (
	defaultTokenFile = filepath.Join(envcontract.TokenMountPath, envcontract.TokenFileName)
	legacyTokenFile  = "/var/run/secrets/kubernetes.io/serviceaccount/token" //nolint:gosec // G101: a file path, not a credential
)

// Config holds the control settings of one run.
//
// Precedence is settled by the webhook, which writes every variable from the
// module settings overridden by the pod's annotations; here an unset or empty
// variable takes the default below, and the CA comes from CA_FILE (the
// tls-secret annotation) if set, else from CA_CERT (module-wide), else from
// the system pool.
type Config struct {
	// Store is the store connection: ADDR, NAMESPACE, CA_FILE or CA_CERT,
	// TLS_SKIP_VERIFY; its per-request Timeout equals Timeout.
	Store store.Config
	// AuthPath, Role and ServiceAccount ("namespace/name") say who logs in;
	// ServiceAccount is the store's token cache key.
	AuthPath       string
	Role           string
	ServiceAccount string
	// TokenFile holds the ServiceAccount JWT; empty means defaultTokenFile,
	// or legacyTokenFile when that does not exist.
	TokenFile string
	// JWT, when set, hands out the ServiceAccount JWT instead of TokenFile:
	// the node's NRI plugin resolves with the token kubelet gave the CSI
	// driver. It is never set from the environment.
	JWT func(context.Context) (string, error)
	// EnvFromPath lists the paths (and versions) whose keys are all
	// imported; later win.
	EnvFromPath []secretref.PathVersion
	// IgnoreMissing starts the command without the variables that failed.
	IgnoreMissing bool
	// Timeout bounds the whole resolution and each store request.
	// Default store.DefaultTimeout (10s).
	Timeout time.Duration
	// LogLevel defaults to info; JSONLog selects JSON over text.
	LogLevel slog.Level
	JSONLog  bool
	// RestartOn is envcontract.RestartNone (default), RestartWatchData or
	// RestartWatchLease.
	RestartOn string
	// PollInterval is the period of watch-for-data; default 120s.
	PollInterval time.Duration
	// GracePeriod is the time between SIGTERM and SIGKILL when a watch
	// mode stops the command; default 30s.
	GracePeriod time.Duration
	// Probe is set for an exec probe (--probe), not from the environment:
	// writes (>>secrets-store:) are not sent, and their variables are left
	// out.
	Probe bool
}

// Defaults of the watch settings.
const (
	DefaultPollInterval = 120 * time.Second
	DefaultGracePeriod  = 30 * time.Second
)

// ParseConfig reads the SECRETS_STORE_* variables from environ (as returned by
// os.Environ). Every malformed variable is reported, each error naming it.
// It does no I/O; call Validate for the checks that span variables.
func ParseConfig(environ []string) (Config, error) {
	env := lookup(environ)
	c := Config{
		Store: store.Config{
			Address:   env[envcontract.Addr],
			Namespace: env[envcontract.Namespace],
			CAFile:    env[envcontract.CAFile],
		},
		AuthPath:       env[envcontract.AuthPath],
		Role:           env[envcontract.Role],
		ServiceAccount: env[envcontract.ServiceAccount],
		TokenFile:      env[envcontract.TokenFile],
		Timeout:        store.DefaultTimeout,
		LogLevel:       slog.LevelInfo,
		RestartOn:      envcontract.RestartNone,
		PollInterval:   DefaultPollInterval,
		GracePeriod:    DefaultGracePeriod,
	}
	if c.Store.CAFile == "" && env[envcontract.CACert] != "" {
		c.Store.CACert = []byte(env[envcontract.CACert])
	}
	var errs []error
	add := func(name string, err error) {
		if err != nil {
			errs = append(errs, errors.New(name+": "+err.Error()))
		}
	}
	var err error
	if s := env[envcontract.EnvFromPath]; s != "" {
		c.EnvFromPath, err = secretref.ParsePathVersionList(s)
		add(envcontract.EnvFromPath, err)
	}
	add(envcontract.IgnoreMissing, parseBool(env[envcontract.IgnoreMissing], &c.IgnoreMissing))
	add(envcontract.JSONLog, parseBool(env[envcontract.JSONLog], &c.JSONLog))
	add(envcontract.TLSSkipVerify, parseBool(env[envcontract.TLSSkipVerify], &c.Store.SkipTLSVerify))
	if s := env[envcontract.ClientTimeout]; s != "" {
		c.Timeout, err = parseTimeout(s)
		add(envcontract.ClientTimeout, err)
	}
	if s := env[envcontract.LogLevel]; s != "" {
		c.LogLevel, err = ParseLogLevel(s)
		add(envcontract.LogLevel, err)
	}
	if s := env[envcontract.RestartOn]; s != "" {
		c.RestartOn, err = parseRestartOn(s)
		add(envcontract.RestartOn, err)
	}
	if s := env[envcontract.PollInterval]; s != "" {
		c.PollInterval, err = parseTimeout(s)
		add(envcontract.PollInterval, err)
	}
	if s := env[envcontract.GracePeriod]; s != "" {
		c.GracePeriod, err = parseGrace(s)
		add(envcontract.GracePeriod, err)
	}
	c.Store.Timeout = c.Timeout
	if c.RestartOn == envcontract.RestartWatchData {
		c.Store.IdleTimeout = pollIdleTimeout(c.PollInterval)
	}
	return c, errors.Join(errs...)
}

// pollIdleTimeout keeps the store connection of watch-for-data open from
// one poll to the next: the longest jittered interval and a margin, never
// less than the store client's default. With the default interval (120s)
// the client's own default (90s) would close it before every poll, and
// each poll would connect and shake hands again, which costs several
// times the poll itself.
func pollIdleTimeout(interval time.Duration) time.Duration {
	return max(store.DefaultIdleTimeout, time.Duration(float64(interval)*(1+JitterFraction))+pollIdleMargin)
}

// pollIdleMargin is what pollIdleTimeout adds to the longest interval.
const pollIdleMargin = 30 * time.Second

// Validate reports settings that cannot work together or are missing. It
// does no I/O: the CA and token files are read when used.
func (c Config) Validate() error {
	var errs []error
	if c.Store.Address == "" {
		errs = append(errs, errors.New(envcontract.Addr+" is empty"))
	} else if err := (store.Config{Address: c.Store.Address}).Validate(); err != nil {
		errs = append(errs, errors.New(envcontract.Addr+": "+err.Error()))
	} else if err := c.Store.Validate(); err != nil {
		// The address is fine and ParseConfig sets one CA source: the
		// module-wide PEM is what can be wrong.
		errs = append(errs, errors.New(envcontract.CACert+": "+err.Error()))
	}
	if c.AuthPath == "" {
		errs = append(errs, errors.New(envcontract.AuthPath+" is empty"))
	}
	if c.Role == "" {
		errs = append(errs, errors.New(envcontract.Role+" is empty"))
	}
	if !validServiceAccount(c.ServiceAccount) {
		errs = append(errs, errors.New(envcontract.ServiceAccount+
			" must be namespace/name, got "+strconv.Quote(c.ServiceAccount)))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New(envcontract.ClientTimeout+" must be positive"))
	}
	return errors.Join(errs...)
}

// Login is the store identity of the pod; its JWT is read from the token
// file on each login and never kept.
func (c Config) Login() store.Login {
	return store.Login{
		AuthPath:       c.AuthPath,
		Role:           c.Role,
		ServiceAccount: c.ServiceAccount,
		JWT:            c.jwtSource(),
	}
}

func (c Config) jwtSource() func(context.Context) (string, error) {
	if c.JWT != nil {
		return c.JWT
	}
	return c.readToken
}

// tokenFile is the file holding the ServiceAccount JWT.
func (c Config) tokenFile() string {
	name := c.TokenFile
	if name == "" {
		name = defaultTokenFile
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			name = legacyTokenFile
		}
	}
	return name
}

func (c Config) readToken(context.Context) (string, error) {
	b, err := os.ReadFile(c.tokenFile())
	if err != nil {
		return "", err // *fs.PathError names the file, not its content
	}
	return string(b), nil
}

// Logger returns the run's logger writing to w. probe raises the level to
// at least warn: a probe's output is shown in kubelet's events.
func (c Config) Logger(w io.Writer, probe bool) *slog.Logger {
	level := c.LogLevel
	if probe {
		level = max(level, slog.LevelWarn)
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.JSONLog {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// ParseLogLevel accepts debug, info, warn and error, in any letter case.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, errors.New("invalid log level " + strconv.Quote(s) + ": use debug, info, warn or error")
}

// parseBool sets *dst from s unless s is empty (the default stays).
func parseBool(s string, dst *bool) error {
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("invalid boolean " + strconv.Quote(s) + ": use true or false")
	}
	*dst = b
	return nil
}

func parseRestartOn(s string) (string, error) {
	switch s {
	case envcontract.RestartNone, envcontract.RestartWatchData, envcontract.RestartWatchLease:
		return s, nil
	}
	return "", errors.New("invalid restart mode " + strconv.Quote(s) + ": use none, watch-for-data or watch-for-lease")
}

// parseGrace accepts a duration of zero or more (terminationGracePeriodSeconds
// may be 0).
func parseGrace(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("invalid duration " + strconv.Quote(s) + ": use a Go duration of zero or more such as 30s")
	}
	return d, nil
}

func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("invalid duration " + strconv.Quote(s) + ": use a positive Go duration such as 10s or 1m30s")
	}
	return d, nil
}

// validServiceAccount accepts namespace/name and namespace/name/uid.
func validServiceAccount(s string) bool {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return false
		}
	}
	return true
}

// lookup maps names to values; for a name given twice the first value
// counts, as getenv(3) and os.Getenv see it.
func lookup(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if _, seen := m[name]; ok && !seen {
			m[name] = value
		}
	}
	return m
}
