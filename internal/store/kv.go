// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/sync/singleflight"
)

// mountTTL bounds how long a learned mount version is trusted (a mount can be
// upgraded from KV v1 to v2).
const mountTTL = 10 * time.Minute

// mount is what sys/internal/ui/mounts says about the mount holding a path.
type mount struct {
	path string // with a trailing slash, e.g. "demo-kv/"
	v2   bool
}

// holds reports that p lies in the mount.
func (m mount) holds(p string) bool {
	return strings.HasPrefix(p+"/", m.path)
}

// dataPath maps a path on a KV v2 mount to its API path: "m/data/x" stays,
// "m/x" becomes "m/data/x" (as "vault kv get" does).
func (m mount) dataPath(p string) (string, error) {
	rel := strings.TrimPrefix(p+"/", m.path)
	rel = strings.TrimSuffix(rel, "/")
	switch {
	case rel == "" || rel == "data":
		return "", fmt.Errorf("path %q names the kv v2 mount %q, not a secret in it", p, m.path)
	case strings.HasPrefix(rel, "data/"):
		return p, nil
	}
	return m.path + "data/" + rel, nil
}

// lookupResult is what one mount lookup learned; path is the path it was
// made for.
type lookupResult struct {
	m     mount
	known bool
	path  string
}

// mountOf learns the mount of p: from the cache, or from one lookup shared
// by the concurrent callers of one identity whose paths share their first
// segment. A mount path may have several segments ("team/kv/"), so a flight
// made for another path can learn a neighbor ("team/other/") or be refused
// for a path outside any mount: p is then looked up on its own. Flights are
// per identity because the store answers a lookup only to a token with
// access to the mount; learned mounts are shared by all identities.
func (c *Client) mountOf(ctx context.Context, l Login, e Error, tok, p string) (m mount, known bool, err error) {
	first, _, _ := strings.Cut(p, "/")
	for _, group := range []string{first + "/", p} {
		if m, ok := c.mounts.lookup(p, c.now()); ok {
			return m, true, nil
		}
		ch := c.lookups.DoChan(l.key()+" "+strconv.Quote(group), func() (any, error) {
			if m, ok := c.mounts.lookup(p, c.now()); ok { // learned meanwhile
				return lookupResult{m: m, known: true, path: p}, nil
			}
			// Detached like the read that needs it; the request has its own
			// deadline.
			m, known, err := c.lookupMount(context.WithoutCancel(ctx), e, tok, p)
			return lookupResult{m: m, known: known, path: p}, err
		})
		var r singleflight.Result
		select {
		case <-ctx.Done():
			e.Kind, e.Err = ctxKind(ctx.Err()), ctx.Err()
			return mount{}, false, &e
		case r = <-ch:
		}
		if r.Err != nil {
			return mount{}, false, r.Err
		}
		res, _ := r.Val.(lookupResult) // the flight returns a lookupResult
		if res.path == p || (res.known && res.m.holds(p)) {
			return res.m, res.known, nil
		}
	}
	return mount{}, false, nil
}

// lookupMount asks sys/internal/ui/mounts/<p>. known is false when the store
// refused the lookup (old servers, no access to the mount): the caller then
// keeps the answer of p as written. Only an unreachable store is an error.
func (c *Client) lookupMount(ctx context.Context, e Error, tok, p string) (m mount, known bool, err error) {
	sec, err := c.call(ctx, RequestMount, e, []string{tok}, func(ctx context.Context) (*apiSecret, error) {
		return c.get(ctx, "sys/internal/ui/mounts/"+p, nil, tok)
	})
	if err != nil {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTLS) {
			return mount{}, false, err
		}
		return mount{}, false, nil
	}
	m, ok := parseMount(sec, p)
	if !ok {
		return mount{}, false, nil
	}
	c.mounts.store(m, c.now())
	return m, true, nil
}

// parseMount reads {"path": "demo-kv/", "type": "kv", "options":
// {"version": "2"}} and checks that the mount really holds p.
func parseMount(sec *apiSecret, p string) (mount, bool) {
	if sec == nil {
		return mount{}, false
	}
	path, _ := sec.Data["path"].(string)
	typ, _ := sec.Data["type"].(string)
	opts, _ := sec.Data["options"].(map[string]any)
	version, _ := opts["version"].(string)
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return mount{}, false
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	m := mount{path: path, v2: (typ == "kv" && version == "2") || typ == "kv-v2"}
	if !m.holds(p) {
		return mount{}, false
	}
	return m, true
}

// mountCache holds learned mounts by mount path. Mount versions are facts of
// the store, not of an identity, so all identities share them.
type mountCache struct {
	mu sync.Mutex
	m  map[string]mountEntry
}

type mountEntry struct {
	mount
	expires time.Time
}

// lookup returns the longest cached mount holding p.
func (mc *mountCache) lookup(p string, now time.Time) (mount, bool) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	var best mountEntry
	for path, me := range mc.m {
		if now.Before(me.expires) && me.holds(p) && len(path) > len(best.path) {
			best = me
		}
	}
	return best.mount, best.path != ""
}

func (mc *mountCache) store(m mount, now time.Time) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.m == nil {
		mc.m = make(map[string]mountEntry)
	}
	mc.m[m.path] = mountEntry{mount: m, expires: now.Add(mountTTL)}
}

// cleanPath accepts paths as users write them; a leading slash is dropped.
func cleanPath(p string) (string, error) {
	p = strings.TrimPrefix(p, "/")
	switch {
	case p == "":
		return "", errors.New("path is empty")
	case strings.HasSuffix(p, "/"):
		return "", errors.New("path ends with a slash")
	case !validSegments(p):
		return "", errors.New("path has an empty, \".\" or \"..\" segment or a control character")
	}
	return p, nil
}

func validSegments(p string) bool {
	if strings.ContainsFunc(p, unicode.IsControl) {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
