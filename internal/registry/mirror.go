// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"crypto/tls"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// endpoint is a compiled mirror endpoint.
type endpoint struct {
	host     string // lowercase host[:port] of the URL
	plain    bool   // the URL is http
	root     string // API root path, see Endpoint.apiRoot
	resolve  bool
	pull     bool
	verified http.RoundTripper // TLS with this endpoint's CAs or without verification
}

func newEndpoint(e Endpoint, globalCA string) (*endpoint, error) {
	u, err := parseEndpointURL(e.URL)
	if err != nil {
		return nil, err
	}
	pool, err := certPool(globalCA, e.CA)
	if err != nil {
		return nil, err
	}
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if e.SkipTLSVerify {
		// Explicit per-endpoint opt-in (imageRegistries.mirrors[].endpoints[].skipTLSVerify).
		tc.InsecureSkipVerify = true
	}
	return &endpoint{
		host:     strings.ToLower(u.Host),
		plain:    u.Scheme == "http",
		root:     e.apiRoot(u),
		resolve:  e.can(CapabilityResolve),
		pull:     e.can(CapabilityPull),
		verified: newHTTPTransport(tc),
	}, nil
}

// compileMirrors turns Trust.Mirrors into endpoints per canonical registry
// name ("_default" included).
func compileMirrors(t Trust) (map[string][]*endpoint, error) {
	out := make(map[string][]*endpoint, len(t.Mirrors))
	for _, m := range t.Mirrors {
		reg := canonicalRegistry(m.Registry)
		for _, e := range m.Endpoints {
			ep, err := newEndpoint(e, t.CA)
			if err != nil {
				return nil, err
			}
			out[reg] = append(out[reg], ep)
		}
	}
	return out, nil
}

// source is one place a lookup reads from: a mirror endpoint, or the
// registry itself (mirror == "").
type source struct {
	mirror    string // endpoint host[:port] for messages; "" for the registry
	transport http.RoundTripper
	reg       func(name.Reference) (name.Reference, error)
}

// sources returns where to send a request that needs capability for an
// image of registry: the mirror endpoints that have it, in order, then the
// registry itself, as containerd does. A registry without an entry of its
// own uses the "_default" entry.
func (r *Resolver) sources(registry, capability string) []source {
	reg := canonicalHost(registry)
	eps, ok := r.mirrors[reg]
	if !ok {
		eps = r.mirrors[defaultMirrorRegistry]
	}
	out := make([]source, 0, len(eps)+1)
	for _, ep := range eps {
		if (capability == CapabilityResolve && !ep.resolve) || (capability == CapabilityPull && !ep.pull) {
			continue
		}
		out = append(out, source{
			mirror:    ep.host,
			transport: &mirrorTransport{ep: ep, ns: reg},
			reg:       ep.reference,
		})
	}
	return append(out, source{transport: r.transport, reg: sameReference})
}

func sameReference(ref name.Reference) (name.Reference, error) { return ref, nil }

// reference is ref with the endpoint as its registry: same repository, tag
// or digest.
func (ep *endpoint) reference(ref name.Reference) (name.Reference, error) {
	var opts []name.Option
	if ep.plain {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(ep.host+"/"+ref.Context().RepositoryStr(), opts...)
	if err != nil {
		return nil, err
	}
	if d, ok := ref.(name.Digest); ok {
		return repo.Digest(d.DigestStr()), nil
	}
	return repo.Tag(ref.Identifier()), nil
}

// mirrorTransport sends a lookup's requests through one endpoint: registry
// API requests to the endpoint host get the endpoint's API root instead of
// /v2 and, as containerd adds them, an ns query parameter naming the
// upstream registry. Token realm requests go unchanged, with the
// endpoint's TLS settings (containerd uses one client per host for both).
type mirrorTransport struct {
	ep *endpoint
	ns string
}

// RoundTrip implements http.RoundTripper. It does not modify req.
func (t *mirrorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	toEndpoint := strings.EqualFold(req.URL.Host, t.ep.host)
	if req.URL.Scheme != "https" && (!toEndpoint || !t.ep.plain) {
		return nil, refusePlain(req)
	}
	api := isAPIRequest(req)
	if toEndpoint && api && req.Response == nil { // redirects already have the endpoint's paths
		req = t.rewrite(req)
	}
	return bounded(t.ep.verified, req, api)
}

func (t *mirrorTransport) rewrite(req *http.Request) *http.Request {
	rest := strings.TrimPrefix(req.URL.Path, "/v2") // "/" or "/<repo>/manifests/<ref>"
	out := req.Clone(req.Context())
	u := *req.URL
	u.Path, u.RawPath = t.ep.root+rest, ""
	if rest != "/" {
		q := u.Query()
		q.Set("ns", t.ns)
		u.RawQuery = q.Encode()
	}
	out.URL = &u
	return out
}
