// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
)

// dockerHubAliases are the names under which Docker Hub credentials are
// written; they all match images of docker.io.
var dockerHubAliases = map[string]bool{
	"docker.io":            true,
	"index.docker.io":      true,
	"registry-1.docker.io": true,
}

// canonicalHost lowercases a registry host and folds the Docker Hub aliases
// into "docker.io".
func canonicalHost(host string) string {
	host = strings.ToLower(host)
	if dockerHubAliases[host] {
		return "docker.io"
	}
	return host
}

// pattern is a parsed docker config location: a host glob (kubelet allows
// "*" per DNS label), an exact port and a path prefix.
type pattern struct {
	labels []string
	port   string
	path   string
}

// parsePattern reads a location the way kubelet does: an optional scheme, a
// host, an optional path where a leading /v1/ or /v2/ is ignored
// ("https://index.docker.io/v1/" is the host index.docker.io).
func parsePattern(loc string) (pattern, bool) {
	v := loc
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return pattern{}, false
	}
	p := u.Path
	if strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/v1/") {
		p = p[3:]
	}
	if p == "/" {
		p = ""
	}
	labels, port := splitHost(u.Host)
	return pattern{labels: labels, port: port, path: p}, true
}

func splitHost(hostport string) (labels []string, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.Split(canonicalHost(host), "."), port
}

// match reports whether the pattern covers the repository repo ("path/name",
// no leading slash) on registry host.
func (p pattern) match(host, repo string) bool {
	labels, port := splitHost(host)
	if port != p.port || len(labels) != len(p.labels) {
		return false
	}
	if !strings.HasPrefix("/"+repo, p.path) {
		return false
	}
	for i, glob := range p.labels {
		if ok, err := filepath.Match(glob, labels[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// keyEntry is one credential of the pod's keyring.
type keyEntry struct {
	key    string // location as written in the secret
	pat    pattern
	cred   credential
	secret string
	order  int // position of the secret in the pod's list
}

// sortKey orders entries like kubelet's keyring: reverse lexicographic order
// of host+path, so that more specific paths are tried first.
func (e keyEntry) sortKey() string {
	return strings.Join(e.pat.labels, ".") + ":" + e.pat.port + e.pat.path
}

// podCredentials reads the pod's pull secrets and returns the credentials
// matching host/repo in the order kubelet would try them. Like kubelet, a
// secret that cannot be read or used (missing, forbidden, of another type,
// malformed) is skipped rather than failing the lookup: the image may be
// public. Which of these it was is not reported: refusals must not tell
// whether a Secret exists or what type it has (see Error).
func (r *Resolver) podCredentials(ctx context.Context, namespace string, secrets []string, host, repo string) []keyEntry {
	var (
		entries []keyEntry
		seen    = map[string]bool{}
	)
	for _, name := range secrets {
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		s, err := r.secrets.GetSecret(ctx, namespace, name)
		if err != nil {
			continue
		}
		cfg, err := secretConfig(s)
		if err != nil {
			continue
		}
		for loc, c := range cfg {
			if p, ok := parsePattern(loc); ok {
				entries = append(entries, keyEntry{key: loc, pat: p, cred: c, secret: name, order: len(seen)})
			}
		}
	}
	// Deterministic order (secret data is a map): the credential ID, and so
	// the cache key, must not change between two lookups of one pod.
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if ka, kb := a.sortKey(), b.sortKey(); ka != kb {
			return ka > kb
		}
		if a.order != b.order {
			return a.order < b.order
		}
		return a.key < b.key
	})
	var out []keyEntry
	for _, e := range entries {
		if e.pat.match(host, repo) {
			out = append(out, e)
		}
	}
	return out
}

// credentialID identifies the ordered credential set of a lookup for the
// caches. It is an HMAC with a per-process key, so the caches hold no
// value derived from a password that could be checked offline. The empty
// set (anonymous access only) has the ID "anonymous".
func (r *Resolver) credentialID(creds []keyEntry) string {
	if len(creds) == 0 {
		return "anonymous"
	}
	h := hmac.New(sha256.New, r.hmacKey)
	var n [8]byte
	for _, e := range creds {
		for _, f := range []string{e.cred.Username, e.cred.Password, e.cred.IdentityToken, e.cred.RegistryToken} {
			binary.BigEndian.PutUint64(n[:], uint64(len(f)))
			h.Write(n[:])
			h.Write([]byte(f))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
