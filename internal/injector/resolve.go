package injector

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/store"
)

// MaxConcurrentReads bounds the store reads in flight during one resolution.
const MaxConcurrentReads = 8

// Reader reads one secret from the store; *store.Client implements it.
type Reader interface {
	Read(ctx context.Context, l store.Login, path string, version int) (*store.Secret, error)
}

// Resolve returns the environment for the command: environ without any
// SECRETS_STORE_* variable, with references replaced by secret values and
// the keys of cfg.EnvFromPath added (see the package comment for the rules).
// A name given twice in environ keeps its first value, the one getenv(3)
// returns. Unless cfg.IgnoreMissing is set, any failure makes Resolve return
// every failure (each a *Failure, joined) and no environment.
func Resolve(ctx context.Context, cfg Config, r Reader, environ []string, log *slog.Logger) ([]string, error) {
	p := newPlan(environ, cfg.EnvFromPath)
	if len(p.invalid) > 0 && !cfg.IgnoreMissing {
		return nil, joinFailures(p.invalid)
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	got := fetch(ctx, r, cfg.Login(), p.reads, log)
	env, failures, count := p.apply(got, log)
	failures = slices.Concat(p.invalid, failures)
	if len(failures) > 0 && !cfg.IgnoreMissing {
		return nil, joinFailures(failures)
	}
	for _, f := range failures {
		switch {
		case f.Var == "":
			log.Warn("env-from-path path skipped", "path", f.Ref, "error", f.Err.Error())
		case f.Ref == "":
			log.Warn("invalid reference dropped", "var", f.Var, "error", f.Err.Error())
		default:
			log.Warn("variable unset: reference failed", "var", f.Var, "ref", f.Ref, "error", f.Err.Error())
		}
	}
	log.Info("environment resolved", "count", count, "paths", readPaths(p.reads, got), "failed", len(failures))
	return env, nil
}

// source is one distinct read.
type source struct {
	path    string
	version int
}

// entry is one variable of the environment the command gets.
type entry struct {
	kv    string // "NAME=value" as given
	name  string // empty for an entry without "=", which passes through
	ref   secretref.Ref
	isRef bool
}

// plan is what a resolution reads and where the results go.
type plan struct {
	env     []entry    // in order, first of each name, no control variables
	imports []string   // env-from-path, later paths win
	reads   []source   // distinct, in order of first use
	invalid []*Failure // references that do not parse, in env order
}

func newPlan(environ, imports []string) plan {
	p := plan{imports: imports}
	seen := make(map[string]bool, len(environ))
	reads := make(map[source]bool)
	addRead := func(s source) {
		if !reads[s] {
			reads[s] = true
			p.reads = append(p.reads, s)
		}
	}
	for _, path := range imports {
		addRead(source{path: path})
	}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			p.env = append(p.env, entry{kv: kv})
			continue
		}
		if seen[name] || strings.HasPrefix(name, envcontract.Prefix) {
			continue
		}
		seen[name] = true
		if !secretref.IsRef(value) {
			p.env = append(p.env, entry{kv: kv, name: name})
			continue
		}
		ref, err := secretref.Parse(value)
		if err != nil {
			p.invalid = append(p.invalid, &Failure{Var: name, Err: err})
			continue
		}
		p.env = append(p.env, entry{kv: kv, name: name, ref: ref, isRef: true})
		addRead(source{path: ref.Path, version: ref.Version})
	}
	return p
}

// fetched is the outcome of one read.
type fetched struct {
	secret *store.Secret
	err    error
}

// fetch reads every source once, at most MaxConcurrentReads at a time, and
// returns when all reads have ended.
func fetch(ctx context.Context, r Reader, l store.Login, reads []source, log *slog.Logger) map[source]fetched {
	out := make([]fetched, len(reads))
	sem := make(chan struct{}, MaxConcurrentReads)
	var wg sync.WaitGroup
	for i, s := range reads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			start := time.Now()
			sec, err := r.Read(ctx, l, s.path, s.version)
			if err == nil && sec == nil {
				err = errors.New("read " + strconv.Quote(s.path) + ": the store client returned no secret")
			}
			out[i] = fetched{secret: sec, err: err}
			if err == nil {
				log.Debug("secret read", "path", s.path, "version", s.version, "duration", time.Since(start))
			}
		})
	}
	wg.Wait()
	m := make(map[source]fetched, len(reads))
	for i, s := range reads {
		m[s] = out[i]
	}
	return m
}

// apply builds the command's environment from the reads. count is the number
// of variables set from the store.
func (p plan) apply(got map[source]fetched, log *slog.Logger) (env []string, failures []*Failure, count int) {
	imported, order, failures := p.imported(got, log)
	emitted := make(map[string]bool, len(imported))
	env = make([]string, 0, len(p.env)+len(order))
	for _, e := range p.env {
		if v, ok := imported[e.name]; ok {
			if e.isRef {
				log.Debug("reference overridden by env-from-path", "var", e.name, "ref", e.ref.String())
			}
			env = append(env, e.name+"="+v)
			emitted[e.name] = true
			continue
		}
		if !e.isRef {
			env = append(env, e.kv)
			continue
		}
		v, err := value(got[source{path: e.ref.Path, version: e.ref.Version}], e.ref.Key)
		if err != nil {
			failures = append(failures, &Failure{Var: e.name, Ref: e.ref.String(), Err: err})
			continue
		}
		env = append(env, e.name+"="+v)
		count++
	}
	for _, name := range order {
		if !emitted[name] {
			env = append(env, name+"="+imported[name])
		}
	}
	return env, failures, count + len(imported)
}

// imported collects the variables of the env-from-path paths, later paths
// winning; order lists their names by first appearance.
func (p plan) imported(got map[source]fetched, log *slog.Logger) (vars map[string]string, order []string, failures []*Failure) {
	vars = make(map[string]string)
	for _, path := range p.imports {
		f := got[source{path: path}]
		if f.err != nil {
			failures = append(failures, &Failure{Ref: path, Err: f.err})
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(f.secret.Data)) {
			v := f.secret.Data[key]
			if reason := importable(key, v); reason != "" {
				log.Warn("env-from-path key skipped", "path", path, "key", key, "error", reason)
				continue
			}
			if _, ok := vars[key]; !ok {
				order = append(order, key)
			}
			vars[key] = v
		}
	}
	return vars, order, failures
}

// value is the value of key in a read, or why there is none.
func value(f fetched, key string) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	v, err := f.secret.Value(key)
	if err != nil {
		return "", err
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "", errors.New("the value of key " + strconv.Quote(key) +
			" holds a NUL byte, which an environment variable cannot carry")
	}
	return v, nil
}

// importable returns why an env-from-path key cannot become a variable, or "".
func importable(key, value string) string {
	switch {
	case !ValidEnvName(key):
		return "not a portable variable name ([A-Za-z_][A-Za-z0-9_]*): map it with an explicit reference"
	case strings.HasPrefix(key, envcontract.Prefix):
		return "the " + envcontract.Prefix + " prefix is reserved for the injector's settings"
	case strings.IndexByte(value, 0) >= 0:
		return "the value holds a NUL byte, which an environment variable cannot carry"
	}
	return ""
}

// ValidEnvName reports whether s is a portable environment variable name:
// a letter or "_" followed by letters, digits and "_" (ASCII only), the
// names POSIX shells can address.
func ValidEnvName(s string) bool {
	if s == "" || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c != '_' && (c < 'a' || 'z' < c) && (c < 'A' || 'Z' < c) && (c < '0' || '9' < c) {
			return false
		}
	}
	return true
}

// readPaths lists the distinct paths read successfully, for the summary.
func readPaths(reads []source, got map[source]fetched) string {
	var paths []string
	for _, s := range reads {
		if got[s].err == nil && !slices.Contains(paths, s.path) {
			paths = append(paths, s.path)
		}
	}
	return strings.Join(paths, ",")
}
