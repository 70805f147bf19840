package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hashicorp/vault/api"
	"golang.org/x/sync/singleflight"
)

// Request kinds reported to an Observer.
const (
	RequestLogin = "login"
	RequestMount = "mount" // sys/internal/ui/mounts lookup
	RequestRead  = "read"
)

// Observer is told about every request sent to the store, e.g. to count them
// in metrics. err is nil on success or an *Error (safe to log). Calls come
// from many goroutines at once.
type Observer interface {
	OnRequest(kind string, d time.Duration, err error)
}

// Option adjusts a Client made by New.
type Option func(*Client)

// WithObserver reports every store request to o.
func WithObserver(o Observer) Option {
	return func(c *Client) { c.observer = o }
}

// Client is one store connection. It is safe for concurrent use; share one
// per (address, namespace, CA) in a process so that tokens, mount lookups
// and concurrent reads are shared.
type Client struct {
	// api carries no token: each request sends the token of its identity,
	// so one client serves every identity without shared mutable state.
	api      *api.Client
	hc       *http.Client
	timeout  time.Duration
	observer Observer
	now      func() time.Time // token and mount expiry; replaced in tests

	tokens tokenCache
	mounts mountCache
	logins singleflight.Group // key: identity
	reads  singleflight.Group // key: identity, path, version
}

// New validates cfg and builds a client; it reads cfg.CAFile once.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	ac, err := newAPIClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	c := &Client{api: ac, hc: hc, timeout: cfg.timeout(), now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// newAPIClient builds the vault/api client from cfg alone and undoes what
// api.NewClient takes from the environment.
func newAPIClient(cfg Config, hc *http.Client) (*api.Client, error) {
	ac, err := api.NewClient(&api.Config{
		Address:    cfg.Address,
		HttpClient: hc,
		// Callers own retries (kubelet retries a publish, the injector fails
		// the container); retrying here would multiply the wait behind a
		// down store.
		MaxRetries: 0,
		CheckRetry: func(context.Context, *http.Response, error) (bool, error) { return false, nil },
		// Deadlines come from Client.call.
		Timeout: 0,
	})
	if err != nil {
		return nil, fmt.Errorf("create store client (the vault library reads VAULT_* environment variables: unset malformed ones): %w", err)
	}
	ac.ClearToken() // VAULT_TOKEN
	// VAULT_HEADERS and VAULT_NAMESPACE; X-Vault-Request is vault/api's
	// SSRF marker that the store expects.
	ac.SetHeaders(http.Header{api.RequestHeaderName: []string{"true"}})
	if cfg.Namespace != "" {
		ac.SetNamespace(cfg.Namespace)
	}
	// VAULT_WRAP_TTL would make the store return a wrapping token instead
	// of the secret.
	ac.SetWrappingLookupFunc(func(string, string) string { return "" })
	return ac, nil
}

// CloseIdleConnections closes idle connections to the store, e.g. when the
// client is replaced after a configuration change.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Read logs in as l (or reuses its cached token) and reads the secret at path;
// version > 0 pins a KV v2 version. Concurrent identical reads share one
// request. The returned Secret is the caller's own copy.
func (c *Client) Read(ctx context.Context, l Login, path string, version int) (*Secret, error) {
	l, err := l.normalize()
	if err != nil {
		return nil, err
	}
	e := Error{Op: OpRead, Path: path, Version: version, Role: l.Role, AuthPath: l.AuthPath}
	p, err := cleanPath(path)
	if err == nil && version < 0 {
		err = fmt.Errorf("version %d is negative", version)
	}
	if err != nil {
		e.Kind, e.Detail = ErrInvalid, err.Error()
		return nil, &e
	}
	if err := ctx.Err(); err != nil {
		e.Path, e.Kind, e.Err = p, ctxKind(err), err
		return nil, &e
	}
	key := l.key() + " " + strconv.Quote(p) + " " + strconv.Itoa(version)
	ch := c.reads.DoChan(key, func() (any, error) {
		// Detached: one caller giving up must not fail the others sharing
		// this read; every request in it has its own deadline.
		return c.read(context.WithoutCancel(ctx), l, p, version)
	})
	select {
	case <-ctx.Done():
		e.Path, e.Kind, e.Err = p, ctxKind(ctx.Err()), ctx.Err()
		return nil, &e
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		s, _ := r.Val.(*Secret) // read returns a secret whenever err is nil
		return s.clone(), nil
	}
}

func (c *Client) read(ctx context.Context, l Login, p string, version int) (*Secret, error) {
	tok, fresh, err := c.token(ctx, l, "")
	if err != nil {
		return nil, err
	}
	s, err := c.readWith(ctx, l, tok, p, version)
	if fresh || !errors.Is(err, ErrPermissionDenied) {
		return s, err
	}
	// The cached token may have lost access before its TTL ended (revoked,
	// or the role's policies changed since login): one new login, one retry.
	tok, _, err = c.token(ctx, l, tok)
	if err != nil {
		return nil, err
	}
	return c.readWith(ctx, l, tok, p, version)
}

func (c *Client) readWith(ctx context.Context, l Login, tok, p string, version int) (*Secret, error) {
	e := Error{Op: OpRead, Path: p, Version: version, Role: l.Role, AuthPath: l.AuthPath}
	m, known, err := c.mountOf(ctx, e, tok, p)
	if err != nil {
		return nil, err
	}
	sp := p
	if known && m.v2 {
		if sp, err = m.dataPath(p); err != nil {
			e.Kind, e.Detail = ErrInvalid, err.Error()
			return nil, &e
		}
	}
	e.StorePath = sp
	if known && !m.v2 && version > 0 {
		e.Kind = ErrVersionUnsupported
		return nil, &e
	}
	var q url.Values
	if version > 0 {
		q = url.Values{"version": []string{strconv.Itoa(version)}}
	}
	sec, err := c.call(ctx, RequestRead, e, []string{tok}, func(ctx context.Context) (*api.Secret, error) {
		return c.api.Logical().ReadWithRequest(ctx, api.NewLogicalReadRequest(sp, q, tokenHeader(tok)))
	})
	if err != nil {
		return nil, err
	}
	return decode(e, sec, (known && m.v2) || (!known && looksV2(sec)))
}

// call sends one request with the client's deadline, classifies its error
// into a copy of e and reports it to the observer. secrets are redacted from
// whatever the store says.
func (c *Client) call(ctx context.Context, kind string, e Error, secrets []string,
	do func(context.Context) (*api.Secret, error),
) (*api.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	sec, rawErr := do(ctx)
	var err error
	if rawErr != nil {
		e.Kind, e.Status, e.Detail, e.Err = classify(rawErr, secrets...)
		if e.Op == OpLogin && e.Status >= 400 && e.Status < 500 && !errors.Is(e.Kind, ErrUnavailable) {
			e.Kind = ErrLogin
		}
		if errors.Is(e.Err, context.DeadlineExceeded) {
			e.Detail = fmt.Sprintf("no answer within %s", c.timeout)
		}
		err = &e
	}
	if c.observer != nil {
		c.observer.OnRequest(kind, time.Since(start), err)
	}
	return sec, err
}

func tokenHeader(tok string) http.Header {
	return http.Header{api.AuthHeaderName: []string{tok}}
}

func ctxKind(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrUnavailable
	}
	return nil
}
