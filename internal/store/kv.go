package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/hashicorp/vault/api"
)

// mountTTL bounds how long a learned mount version is trusted (a mount can be
// upgraded from KV v1 to v2).
const mountTTL = 10 * time.Minute

// maxListedKeys bounds the key names listed in an ErrKeyNotFound message.
const maxListedKeys = 20

// Secret is one secret read from the store.
type Secret struct {
	Path    string            // path as requested
	Version int               // KV v2 version read; 0 on KV v1 and other engines
	Data    map[string]string // key -> value; non-strings JSON-encoded
}

// Value returns the value of key, or an ErrKeyNotFound error naming the path,
// the key and the keys the secret has (names only, never values).
func (s *Secret) Value(key string) (string, error) {
	if v, ok := s.Data[key]; ok {
		return v, nil
	}
	keys := slices.Sorted(maps.Keys(s.Data))
	detail := "the secret has no keys"
	if len(keys) > 0 {
		if len(keys) > maxListedKeys {
			keys = append(keys[:maxListedKeys], "…")
		}
		detail = "the secret has keys " + strings.Join(keys, ", ")
	}
	return "", &Error{Op: OpRead, Path: s.Path, Key: key, Version: s.Version, Kind: ErrKeyNotFound, Detail: detail}
}

func (s *Secret) clone() *Secret {
	c := *s
	c.Data = maps.Clone(s.Data)
	return &c
}

// mount is what sys/internal/ui/mounts says about the mount holding a path.
type mount struct {
	path string // with a trailing slash, e.g. "demo-kv/"
	v2   bool
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

// mountOf learns the mount of p. known is false when the store refused the
// lookup (old servers, restrictive policies): the read then goes to p as
// written and the response shape decides. Only an unreachable store is an
// error.
func (c *Client) mountOf(ctx context.Context, e Error, tok, p string) (m mount, known bool, err error) {
	if m, ok := c.mounts.lookup(p, c.now()); ok {
		return m, true, nil
	}
	sec, err := c.call(ctx, RequestMount, e, []string{tok}, func(ctx context.Context) (*api.Secret, error) {
		return c.api.Logical().ReadWithRequest(ctx,
			api.NewLogicalReadRequest("sys/internal/ui/mounts/"+p, nil, tokenHeader(tok)))
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
func parseMount(sec *api.Secret, p string) (mount, bool) {
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
	if !strings.HasPrefix(p+"/", path) {
		return mount{}, false
	}
	v2 := (typ == "kv" && version == "2") || typ == "kv-v2"
	return mount{path: path, v2: v2}, true
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
		if now.Before(me.expires) && strings.HasPrefix(p+"/", path) && len(path) > len(best.path) {
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

// looksV2 recognizes a KV v2 read response when the mount is unknown:
// exactly "data" (an object or null) and "metadata" with a version.
func looksV2(sec *api.Secret) bool {
	if sec == nil || len(sec.Data) != 2 {
		return false
	}
	meta, ok := sec.Data["metadata"].(map[string]any)
	if !ok {
		return false
	}
	_, hasVersion := meta["version"]
	data, hasData := sec.Data["data"]
	_, isMap := data.(map[string]any)
	return hasVersion && hasData && (data == nil || isMap)
}

// decode turns a read response into a Secret; e carries the context for
// errors. A nil secret is a 404 or an empty answer.
func decode(e Error, sec *api.Secret, v2 bool) (*Secret, error) {
	if sec == nil || sec.Data == nil {
		e.Kind = ErrNotFound
		if sec != nil {
			// e.g. the store's hint that a KV v2 path lacks data/.
			e.Detail = storeDetail(sec.Warnings)
		}
		return nil, &e
	}
	if !v2 {
		if e.Version > 0 {
			e.Kind = ErrVersionUnsupported
			return nil, &e
		}
		return encodeSecret(e, sec.Data, 0)
	}
	meta, _ := sec.Data["metadata"].(map[string]any)
	version := toInt(meta["version"])
	if values, ok := sec.Data["data"].(map[string]any); ok {
		return encodeSecret(e, values, version)
	}
	// No data: the version is deleted, destroyed or does not exist.
	if version > 0 {
		e.Version = version
	}
	deleted, _ := meta["deletion_time"].(string)
	switch {
	case meta["destroyed"] == true:
		e.Kind = ErrVersionDestroyed
	case deleted != "":
		e.Kind = ErrVersionDeleted
	default:
		e.Kind = ErrNotFound
	}
	return nil, &e
}

func encodeSecret(e Error, values map[string]any, version int) (*Secret, error) {
	s := &Secret{Path: e.Path, Version: version, Data: make(map[string]string, len(values))}
	for k, v := range values {
		if str, ok := v.(string); ok {
			s.Data[k] = str
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			// The error would describe the value; say only which key.
			e.Key, e.Detail, e.Err = k, "value is not representable as JSON", errMalformed
			return nil, &e
		}
		s.Data[k] = string(b)
	}
	return s, nil
}

// toInt reads a JSON number decoded with UseNumber; anything else is 0.
func toInt(v any) int {
	var n int64
	switch x := v.(type) {
	case json.Number:
		n, _ = x.Int64()
	case float64:
		n = int64(x)
	case string:
		n, _ = strconv.ParseInt(x, 10, 64)
	}
	if n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}
