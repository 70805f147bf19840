// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"context"
	"encoding/json"
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
	"github.com/deckhouse/secrets-store-integration/internal/tmpl"
)

// MaxConcurrentReads bounds the store requests in flight during one
// resolution. They share one HTTP/2 connection; 16 lets a container with
// up to 16 paths read them all in one round trip after the login.
const MaxConcurrentReads = 16

// LoginVar is the only variable that may hold secrets-store:login.
const LoginVar = "VAULT_TOKEN"

// Reader reads one secret from the store; *store.Client implements it.
type Reader interface {
	Read(ctx context.Context, l store.Login, path string, version int) (*store.Secret, error)
}

// Writer writes to a store path and returns the answer (>>secrets-store:
// references); *store.Client implements it.
type Writer interface {
	Write(ctx context.Context, l store.Login, path string, body map[string]any) (*store.Secret, error)
}

// TokenSource hands out the store token of an identity (secrets-store:login);
// *store.Client implements it.
type TokenSource interface {
	Token(ctx context.Context, l store.Login) (string, error)
}

// Resolve returns the environment for the command: environ without any
// SECRETS_STORE_* variable, with references replaced by secret values and
// the keys of cfg.EnvFromPath added (see the package comment for the rules).
// A name given twice in environ keeps its first value, the one getenv(3)
// returns. Unless cfg.IgnoreMissing is set, any failure makes Resolve return
// every failure (each a *Failure, joined) and no environment.
func Resolve(ctx context.Context, cfg Config, r Reader, environ []string, log *slog.Logger) ([]string, error) {
	res, err := resolve(ctx, cfg, r, environ, log)
	if err != nil {
		return nil, err
	}
	return res.env, nil
}

// resolution is the outcome of one resolution, kept by the watch modes.
type resolution struct {
	plan  plan
	got   map[source]fetched
	wrote map[writeKey]fetched
	token string // set only when LoginVar asked for it
	env   []string
}

func resolve(ctx context.Context, cfg Config, r Reader, environ []string, log *slog.Logger) (*resolution, error) {
	p := newPlan(environ, cfg.EnvFromPath)
	if len(p.invalid) > 0 && !cfg.IgnoreMissing {
		return nil, joinFailures(p.invalid)
	}
	if cfg.Probe {
		p = p.withoutWrites(log)
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	res := &resolution{plan: p}
	var tokenErr error
	res.got, res.wrote, res.token, tokenErr = fetchAll(ctx, r, cfg.Login(), p, log)
	env, failures, count := p.apply(res, tokenErr, log)
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
	res.env = env
	log.Info("environment resolved", "count", count, "paths", readPaths(p.reads, res.got), "failed", len(failures))
	return res, nil
}

// source is one distinct read.
type source struct {
	path    string
	version int
}

// writeKey is one distinct write: the same path with the same body is
// written once, so that CERT and KEY taken from one pki/issue answer match.
type writeKey struct {
	path string
	body string // canonical JSON
}

// entry is one variable of the environment the command gets.
type entry struct {
	kv    string // "NAME=value" as given
	name  string // empty for an entry without "=", which passes through
	value secretref.Value
	isRef bool
	// tmpls holds the parsed template of each KindTemplate part, by index.
	tmpls map[int]*tmpl.Template
	// writes holds the write of each KindWrite part, by index.
	writes map[int]writeKey
}

// plan is what a resolution reads and writes and where the results go.
type plan struct {
	env     []entry                 // in order, first of each name, no control variables
	imports []secretref.PathVersion // env-from-path, later paths win
	reads   []source                // distinct, in order of first use
	writes  []writeKey              // distinct, in order of first use
	bodies  map[writeKey]map[string]any
	login   bool       // LoginVar holds secrets-store:login
	invalid []*Failure // references that do not parse, in env order
}

func newPlan(environ []string, imports []secretref.PathVersion) plan {
	p := plan{imports: imports, bodies: map[writeKey]map[string]any{}}
	seen := make(map[string]bool, len(environ))
	reads := make(map[source]bool)
	for _, pv := range imports {
		p.addRead(reads, source{path: pv.Path, version: pv.Version})
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
		v, isRef, err := secretref.ParseValue(value)
		switch {
		case err != nil:
			p.invalid = append(p.invalid, &Failure{Var: name, Err: err})
			continue
		case !isRef:
			p.env = append(p.env, entry{kv: kv, name: name})
			continue
		}
		e := entry{kv: kv, name: name, value: v, isRef: true}
		if f := p.addExprs(&e, reads); f != nil {
			p.invalid = append(p.invalid, f)
			continue
		}
		p.env = append(p.env, e)
	}
	return p
}

// addExprs registers the reads and writes of e's references and parses its
// templates, returning the first problem.
func (p *plan) addExprs(e *entry, reads map[source]bool) *Failure {
	for i, part := range e.value.Parts {
		x := part.Expr
		if x == nil {
			continue
		}
		switch x.Kind {
		case secretref.KindLogin:
			if e.name != LoginVar {
				return &Failure{Var: e.name, Ref: x.String(), Err: errors.New(
					"secrets-store:login hands the store token to the application and is accepted only in " + LoginVar)}
			}
			p.login = true
		case secretref.KindTemplate:
			t, err := tmpl.Parse(x.Template)
			if err != nil {
				return &Failure{Var: e.name, Ref: x.String(), Err: err}
			}
			if e.tmpls == nil {
				e.tmpls = map[int]*tmpl.Template{}
			}
			e.tmpls[i] = t
			p.addRead(reads, source{path: x.Path, version: x.Version})
		case secretref.KindWrite:
			var body map[string]any
			if err := json.Unmarshal([]byte(x.Body), &body); err != nil {
				return &Failure{Var: e.name, Ref: x.String(), Err: errors.New("the write's body is not a JSON object")}
			}
			canon, _ := json.Marshal(body) // a decoded map always encodes; keys sorted
			k := writeKey{path: x.Path, body: string(canon)}
			if _, ok := p.bodies[k]; !ok {
				p.bodies[k] = body
				p.writes = append(p.writes, k)
			}
			if e.writes == nil {
				e.writes = map[int]writeKey{}
			}
			e.writes[i] = k
		default:
			p.addRead(reads, source{path: x.Path, version: x.Version})
		}
	}
	return nil
}

func (p *plan) addRead(reads map[source]bool, s source) {
	if !reads[s] {
		reads[s] = true
		p.reads = append(p.reads, s)
	}
}

// withoutWrites drops the variables that hold a write, and the writes: an
// exec probe runs every few seconds, and each run would otherwise issue a
// certificate (or whatever the write does) that nothing keeps.
func (p plan) withoutWrites(log *slog.Logger) plan {
	if len(p.writes) == 0 {
		return p
	}
	env := make([]entry, 0, len(p.env))
	for _, e := range p.env {
		if len(e.writes) > 0 {
			log.Debug("variable unset in a probe: writes are not sent for probes", "var", e.name)
			continue
		}
		env = append(env, e)
	}
	p.env, p.writes = env, nil
	return p
}

// fetched is the outcome of one read or write.
type fetched struct {
	secret *store.Secret
	err    error
}

// fetchAll runs every read and write of p once, at most MaxConcurrentReads
// at a time, and gets the store token when p needs it.
func fetchAll(ctx context.Context, r Reader, l store.Login, p plan, log *slog.Logger) (
	got map[source]fetched, wrote map[writeKey]fetched, token string, tokenErr error,
) {
	sem := make(chan struct{}, MaxConcurrentReads)
	var wg sync.WaitGroup
	writes := make([]fetched, len(p.writes))
	for i, k := range p.writes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			writes[i] = writeOne(ctx, r, l, k.path, p.bodies[k])
		})
	}
	got = readAll(ctx, r, l, p.reads, sem, log)
	wg.Wait()
	wrote = make(map[writeKey]fetched, len(p.writes))
	for i, k := range p.writes {
		wrote[k] = writes[i]
	}
	if p.login {
		token, tokenErr = loginToken(ctx, r, l)
	}
	return got, wrote, token, tokenErr
}

// readAll reads every source once, holding a slot of sem for each read in
// flight. The reads share the client's one HTTP/2 connection: sent together,
// their answers come back in fewer wake-ups than one after the other. When
// no connection is open (a poll after the store closed the idle one), the
// store client lets the first read open one and the others share it.
func readAll(ctx context.Context, r Reader, l store.Login, sources []source, sem chan struct{}, log *slog.Logger) map[source]fetched {
	var wg sync.WaitGroup
	reads := make([]fetched, len(sources))
	for i, s := range sources {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			reads[i] = readOne(ctx, r, l, s, log)
		})
	}
	wg.Wait()
	got := make(map[source]fetched, len(sources))
	for i, s := range sources {
		got[s] = reads[i]
	}
	return got
}

func readOne(ctx context.Context, r Reader, l store.Login, s source, log *slog.Logger) fetched {
	start := time.Now()
	sec, err := r.Read(ctx, l, s.path, s.version)
	if err == nil && sec == nil {
		err = errors.New("read " + strconv.Quote(s.path) + ": the store client returned no secret")
	}
	if err == nil {
		log.Debug("secret read", "path", s.path, "version", s.version, "duration", time.Since(start))
	}
	return fetched{secret: sec, err: err}
}

func writeOne(ctx context.Context, r Reader, l store.Login, path string, body map[string]any) fetched {
	w, ok := r.(Writer)
	if !ok {
		return fetched{err: errors.New("this store client cannot write")}
	}
	sec, err := w.Write(ctx, l, path, body)
	if err == nil && sec == nil {
		err = errors.New("write " + strconv.Quote(path) + ": the store client returned no answer")
	}
	return fetched{secret: sec, err: err}
}

func loginToken(ctx context.Context, r Reader, l store.Login) (string, error) {
	ts, ok := r.(TokenSource)
	if !ok {
		return "", errors.New("this store client cannot hand out its token")
	}
	return ts.Token(ctx, l)
}

// apply builds the command's environment from the results. count is the
// number of variables set from the store.
func (p plan) apply(res *resolution, tokenErr error, log *slog.Logger) (env []string, failures []*Failure, count int) {
	imported, order, failures := p.imported(res.got, log)
	emitted := make(map[string]bool, len(imported))
	env = make([]string, 0, len(p.env)+len(order))
	for _, e := range p.env {
		if v, ok := imported[e.name]; ok {
			if e.isRef {
				log.Debug("reference overridden by env-from-path", "var", e.name)
			}
			env = append(env, e.name+"="+v)
			emitted[e.name] = true
			continue
		}
		if !e.isRef {
			env = append(env, e.kv)
			continue
		}
		v, f := e.resolve(res, tokenErr)
		if f != nil {
			failures = append(failures, f)
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

// resolve builds the value of e: its literal text with each reference
// replaced.
func (e entry) resolve(res *resolution, tokenErr error) (string, *Failure) {
	var b strings.Builder
	for i, part := range e.value.Parts {
		x := part.Expr
		if x == nil {
			b.WriteString(part.Literal)
			continue
		}
		v, err := e.exprValue(i, x, res, tokenErr)
		if err != nil {
			return "", &Failure{Var: e.name, Ref: x.String(), Err: err}
		}
		b.WriteString(v)
	}
	v := b.String()
	if strings.IndexByte(v, 0) >= 0 {
		return "", &Failure{Var: e.name, Err: errors.New("the value holds a NUL byte, which an environment variable cannot carry")}
	}
	return v, nil
}

func (e entry) exprValue(i int, x *secretref.Expr, res *resolution, tokenErr error) (string, error) {
	switch x.Kind {
	case secretref.KindLogin:
		return res.token, tokenErr
	case secretref.KindWrite:
		return value(res.wrote[e.writes[i]], x.Key)
	case secretref.KindTemplate:
		f := res.got[source{path: x.Path, version: x.Version}]
		if f.err != nil {
			return "", f.err
		}
		return e.tmpls[i].Execute(f.secret.TemplateData())
	}
	return value(res.got[source{path: x.Path, version: x.Version}], x.Key)
}

// imported collects the variables of the env-from-path paths, later paths
// winning; order lists their names by first appearance.
func (p plan) imported(got map[source]fetched, log *slog.Logger) (vars map[string]string, order []string, failures []*Failure) {
	vars = make(map[string]string)
	for _, pv := range p.imports {
		f := got[source{path: pv.Path, version: pv.Version}]
		if f.err != nil {
			failures = append(failures, &Failure{Ref: pv.String(), Err: f.err})
			continue
		}
		for _, key := range slices.Sorted(maps.Keys(f.secret.Data)) {
			v := f.secret.Data[key]
			if reason := importable(key, v); reason != "" {
				log.Warn("env-from-path key skipped", "path", pv.String(), "key", key, "error", reason)
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
	if f.secret == nil {
		return "", errors.New("no answer from the store")
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

// hasLease reports whether a read or write of the resolution holds a lease.
func (r *resolution) hasLease() bool {
	for _, f := range r.got {
		if f.secret != nil && f.secret.LeaseID != "" {
			return true
		}
	}
	for _, f := range r.wrote {
		if f.secret != nil && f.secret.LeaseID != "" {
			return true
		}
	}
	return false
}
