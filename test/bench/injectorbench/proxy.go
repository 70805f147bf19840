// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injectorbench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/i18n"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Requests are store requests by kind.
type Requests struct {
	Login  int // auth/<mount>/login
	Mount  int // sys/internal/ui/mounts/<path>: which engine and KV version hold a path
	Read   int // GET or LIST of any other path
	Write  int // PUT, POST or PATCH of any other path
	Renew  int // auth/token/renew-self, sys/leases/renew
	Revoke int // auth/token/revoke-self, sys/leases/revoke
	Other  int
}

// Total is the number of requests of every kind.
func (r Requests) Total() int {
	return r.Login + r.Mount + r.Read + r.Write + r.Renew + r.Revoke + r.Other
}

func (r Requests) sub(o Requests) Requests {
	return Requests{
		Login: r.Login - o.Login, Mount: r.Mount - o.Mount, Read: r.Read - o.Read, Write: r.Write - o.Write,
		Renew: r.Renew - o.Renew, Revoke: r.Revoke - o.Revoke, Other: r.Other - o.Other,
	}
}

// Format is the total and its kinds that are not zero, in English or in Russian:
// "12 (login 1, read 10, revoke 1)".
func (r Requests) Format(ru bool) string {
	names := kindNames
	if ru {
		names = kindNamesRU
	}
	var parts []string
	for k, n := range []int{r.Login, r.Mount, r.Read, r.Write, r.Renew, r.Revoke, r.Other} {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", names[k], n))
		}
	}
	return fmt.Sprintf("%d (%s)", r.Total(), strings.Join(parts, ", "))
}

// kind is a kind of store request; the order is that of the fields of Requests.
type kind int

const (
	kindLogin kind = iota
	kindMount
	kindRead
	kindWrite
	kindRenew
	kindRevoke
	kindOther
	kinds
)

var (
	kindNames   = [kinds]string{"login", "mount lookup", "read", "write", "renew", "revoke", "other"}
	kindNamesRU = [kinds]string{i18n.RU("injectorbench.proxy.01"), i18n.RU("injectorbench.proxy.02"), i18n.RU("injectorbench.proxy.03"), i18n.RU("injectorbench.proxy.04"), i18n.RU("injectorbench.proxy.05"), i18n.RU("injectorbench.proxy.06"), i18n.RU("injectorbench.proxy.07")}
)

// classify names a request to the store's HTTP API (/v1/<path>).
func classify(method, urlPath string) kind {
	p := strings.TrimPrefix(urlPath, "/v1/")
	switch {
	case strings.HasPrefix(p, "auth/") && strings.HasSuffix(p, "/login"):
		return kindLogin
	case p == "auth/token/revoke-self" || strings.HasPrefix(p, "sys/leases/revoke"):
		return kindRevoke
	case p == "auth/token/renew-self" || strings.HasPrefix(p, "sys/leases/renew"):
		return kindRenew
	case strings.HasPrefix(p, "sys/internal/ui/mounts/"):
		return kindMount
	case method == http.MethodGet || method == "LIST":
		return kindRead
	case method == http.MethodPut || method == http.MethodPost || method == http.MethodPatch:
		return kindWrite
	}
	return kindOther
}

func (r *Requests) add(k kind) {
	fields := [kinds]*int{&r.Login, &r.Mount, &r.Read, &r.Write, &r.Renew, &r.Revoke, &r.Other}
	*fields[k]++
}

// Spent is the mean time the store took to answer a request of each kind (zero for a
// kind that was not sent).
type Spent struct{ Login, Mount, Read, Revoke time.Duration }

// phaseStats is what the proxy saw while one phase was set.
type phaseStats struct {
	n       Requests
	conns   int
	resumed int // connections whose TLS session was resumed
	spent   [kinds]time.Duration
	timed   [kinds]int
	// bursts counts runs of requests with less than burstGap between arrivals: the polls
	// of a watching client, which come PollInterval±30% apart.
	bursts   int
	arrived  time.Time // of the last request
	answered time.Time // of the last answer
}

// burstGap is the least quiet between two arrivals that starts a new burst: well above
// the spread of one poll's requests (milliseconds) and well below the shortest jittered
// poll period (140 ms).
const burstGap = 40 * time.Millisecond

// proxy is a reverse proxy in front of the store that counts requests and connections by
// phase (which binary or run is being measured) and kind. A request counts at arrival,
// so a count read after the client exited is complete.
type proxy struct {
	url string
	srv *http.Server
	rp  *httputil.ReverseProxy
	tr  *http.Transport

	mu     sync.Mutex
	phase  string
	stats  map[string]*phaseStats
	active map[net.Conn]bool // connections that served a request, until closed
}

// startProxy listens on a free port of 127.0.0.1 with the stack's localhost certificate
// and forwards to the store over TLS verified with the stack CA. With idle > 0 it closes
// a client's connection that stays that long without a request, as a store or a load
// balancer with a short idle limit does.
func startProxy(ctx context.Context, s *stack.Stack, idle time.Duration) (*proxy, error) {
	caPEM, err := os.ReadFile(s.Env.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("the stack CA %s holds no certificate", s.Env.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.Dir, "pki", "localhost.crt"), filepath.Join(s.Dir, "pki", "localhost.key"))
	if err != nil {
		return nil, fmt.Errorf("load the proxy's certificate: %w", err)
	}
	target, err := url.Parse(s.Env.StoreAddr)
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{
		url:    "https://" + ln.Addr().String(),
		stats:  map[string]*phaseStats{},
		active: map[net.Conn]bool{},
		tr: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 64,
		},
	}
	p.rp = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }, Transport: p.tr}
	p.srv = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idle,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ConnState:         p.connState,
	}
	go func() { _ = p.srv.ServeTLS(ln, "", "") }() // ends with ErrServerClosed on close
	return p, nil
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k := classify(r.Method, r.URL.Path)
	p.mu.Lock()
	st := p.current()
	st.n.add(k)
	t0 := time.Now()
	if t0.Sub(st.arrived) >= burstGap {
		st.bursts++
	}
	st.arrived = t0
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r)
	t1 := time.Now()
	p.mu.Lock()
	st.spent[k] += t1.Sub(t0)
	st.timed[k]++
	st.answered = t1
	p.mu.Unlock()
}

// connState counts the connections of the phase set now, and those whose TLS session was
// resumed (known once the handshake is done, at the first request).
func (p *proxy) connState(c net.Conn, st http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch st {
	case http.StateNew:
		p.current().conns++
	case http.StateActive:
		// HTTP/2 marks a connection active again after each idle spell.
		if tc, ok := c.(*tls.Conn); ok && !p.active[c] {
			p.active[c] = true
			if tc.ConnectionState().DidResume {
				p.current().resumed++
			}
		}
	case http.StateClosed, http.StateHijacked:
		delete(p.active, c)
	}
}

// current is the stats of the phase set now; p.mu is held.
func (p *proxy) current() *phaseStats {
	st, ok := p.stats[p.phase]
	if !ok {
		st = &phaseStats{}
		p.stats[p.phase] = st
	}
	return st
}

// setPhase makes the following requests and connections count for phase.
func (p *proxy) setPhase(phase string) {
	p.mu.Lock()
	p.phase = phase
	p.mu.Unlock()
}

// count is what phase saw so far: requests and connections.
func (p *proxy) count(phase string) (Requests, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stats[phase]; ok {
		return st.n, st.conns
	}
	return Requests{}, 0
}

// polls is how many bursts of requests phase saw so far (see phaseStats.bursts), and
// whether the last has ended: every request answered burstGap ago or more.
func (p *proxy) polls(phase string) (n int, quiet bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stats[phase]
	if !ok {
		return 0, true
	}
	answered := 0
	for _, t := range st.timed {
		answered += t
	}
	return st.bursts, answered == st.n.Total() && time.Since(st.answered) >= burstGap
}

// resumed is how many connections of phase resumed a TLS session so far.
func (p *proxy) resumed(phase string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stats[phase]; ok {
		return st.resumed
	}
	return 0
}

// spent is the mean answer time by kind of phase's requests.
func (p *proxy) spent(phase string) Spent {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stats[phase]
	if !ok {
		return Spent{}
	}
	mean := func(k kind) time.Duration {
		if st.timed[k] == 0 {
			return 0
		}
		return st.spent[k] / time.Duration(st.timed[k])
	}
	return Spent{Login: mean(kindLogin), Mount: mean(kindMount), Read: mean(kindRead), Revoke: mean(kindRevoke)}
}

func (p *proxy) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	p.tr.CloseIdleConnections()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
