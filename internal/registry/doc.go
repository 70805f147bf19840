// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package registry reads the Entrypoint and Cmd of container images from
// their registries, for containers whose pod spec has no command. A
// [Resolver] implements podmutate.ImageResolver and is safe for concurrent
// use.
//
// # Credentials
//
// A lookup uses the pod's imagePullSecrets, read by name from the pod's
// namespace (get only: no list or watch). Secrets of type
// kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg are parsed
// here; their entries are matched against the image like kubelet does: an
// optional scheme, a host that may hold "*" per DNS label, an exact port, a
// path prefix, a leading /v1/ or /v2/ ignored, more specific paths tried
// first, secrets in pod order. The Docker Hub names docker.io,
// index.docker.io, registry-1.docker.io and https://index.docker.io/v1/ are
// one registry. Every matching credential is tried in turn, then anonymous
// access; a 401/403 or 404 moves on to the next, any other failure stops
// the lookup. A secret that is missing, unreadable, of another type or
// malformed is skipped, as kubelet skips it.
//
// The webhook may read Secrets in every namespace, and anyone who can reach
// it can post a review naming any namespace. A refusal therefore never says
// whether a pull secret exists or what type it has: it names the pod's
// imagePullSecrets and gives one hint (each must exist in the namespace, be
// of one of the two types and hold credentials for the registry), the same
// text whatever the secrets are.
//
// # Mirrors and trust
//
// [Trust] is the operator's configuration, the JSON document the chart
// renders from the module settings imageRegistries.ca, imageRegistries.insecureRegistries
// and imageRegistries.mirrors: extra CAs, registries reached over plain http or
// unverified TLS, and mirrors with the meaning of containerd's hosts.toml.
// A request that needs a capability ("resolve": tag to digest; "pull":
// manifests and config by digest) goes to the registry's mirror endpoints
// that have it, in order, then to the registry itself; a registry without
// an entry uses the "_default" entry. An endpoint's API root is its URL
// path with /v2 appended unless the path ends with /v2 or overridePath is
// set; its requests carry ns=<registry> like containerd's. A failure moves
// on to the next host, except an answer about the content itself (platform
// missing, manifest unsupported or too large), which is the same
// everywhere; of several failures the first that is an answer (denied, not
// found) is reported, else the first, with the mirror that gave it.
//
// Mirrors get the credentials matched for the image's registry, as
// containerd sends them: kubelet matches pull secrets against the image
// name and containerd passes them on to every host configured for that
// registry. A mirror is thus trusted with the credentials of the registries
// it mirrors; configure only mirrors you would give them to.
//
// # Caches and credential isolation
//
// Two caches, each a size-bounded LRU (1024 entries by default):
//
//   - tag → manifest digest, for one minute, so that a burst of pods of one
//     Deployment costs one HEAD request (HEADs do not count against Docker
//     Hub's pull limit);
//   - manifest digest + platform → image config, for one hour. The config
//     of a digest never changes, and go-containerregistry verifies what it
//     fetches by digest.
//
// Both keys include a credential ID: an HMAC, with a per-process random
// key, of the ordered list of credentials the pod would try (anonymous
// access only has the ID "anonymous"). A pod that has no credentials for a
// private image therefore never reads what a pod with credentials put in
// the cache, whether it names the image by tag or by digest, while pods
// holding the same credentials share entries across namespaces (they could
// read the image anyway). Keying on the credentials themselves rather than
// on namespace and secret names also keeps a rotated or revoked secret from
// reusing old entries. Failures are never cached. The caches are
// process-wide and a process has one Trust, so results reached through
// different mirrors or CAs never mix.
//
// Concurrent identical lookups share one request. The cache is checked
// again under the lock that guards the requests in flight, and a request
// stores its result before it leaves them, so a caller that just missed the
// cache joins the request or finds its result, never starts a second one.
// The shared request runs detached from any one caller's cancellation,
// bounded by Config.Timeout (5 s by default, below the admission timeout
// so that the user reads this package's message), and is canceled when
// every caller waiting for it has given up.
//
// # Limits
//
// The registry is chosen by whoever creates the pod, so every resource a
// lookup takes is bounded:
//
//   - MaxConcurrentLookups (8 by default) requests to registries run at
//     once in the process; a caller that would start another waits for a
//     slot as long as its context allows, then fails with ErrBusy ("N
//     registry lookups already in progress"). Callers sharing a request
//     count once. The per-pod bound (podmutate.Mutator.MaxImages) keeps one
//     pod from queueing many.
//   - Bodies are read through a bound checked while reading, and a
//     Content-Length above it fails before the body is read: 1 MiB for a
//     manifest or index (MaxManifestBytes), 1 MiB for an image config
//     (MaxConfigBytes), 64 KiB for anything else (the /v2/ ping, token realm
//     answers, error pages). Token realm requests also get 3 s of their own
//     within Config.Timeout.
//
// How the bounds were chosen: a manifest descriptor is about 200 bytes, so
// an image at overlayfs' limit of 127 layers has a manifest of about 30 KiB
// and an index of 20 platforms and attestations about 10 KiB; image configs
// are of the same order, growing with history and labels. 1 MiB is more
// than 30 times either. For comparison, the distribution registry refuses
// to store manifests above 4 MiB, containers/image (CRI-O, Podman) reads at
// most 4 MiB of a manifest or config, and go-containerregistry reads up to
// 100 MiB of a manifest unless bounded as here.
//
// Measured with a hostile registry serving valid 1 MiB indexes (5,164
// entries) slowly enough that every lookup holds its body at once: peak Go
// heap 20 MiB with one lookup in flight, 59 MiB with 8 (the default), and
// 334 MiB with 38 in flight when nothing bounds them. go-containerregistry
// buffers a manifest whole and decodes it twice; at 1 MiB that costs a few
// MiB per lookup, which the concurrency bound multiplies by 8 at most.
//
// # Transport
//
// TLS is always verified, against the system pool plus Trust.CA (and a
// mirror endpoint's own ca). go-containerregistry falls back to plain http
// for loopback and private addresses on its own; that fallback is refused
// unless the registry is listed in Trust.InsecureRegistries, which also
// skips certificate verification for it. A mirror endpoint is reached over
// http only when its URL says so, and unverified only with skipTLSVerify.
//
// The dialer refuses link-local addresses (169.254.0.0/16, fe80::/10) and
// the cloud metadata addresses outside them (100.100.100.200,
// fd00:ec2::254, 192.0.0.192), whether an image name, a token realm or a
// redirect led there, and checks the address actually dialed, after name
// resolution. Loopback and private addresses stay allowed for in-cluster
// registries.
//
// # Errors
//
// Every error from Resolve is an [*Error] naming the image and saying what
// to check, naming the module settings (imageRegistries.ca,
// imageRegistries.insecureRegistries, imageRegistries.mirrors of the ModuleConfig
// secrets-store-integration) when they are the fix. It matches one of the
// Err* sentinels with errors.Is. It never contains credentials and quotes
// nothing a registry, mirror or token realm wrote — a realm can be any
// URL, and its answer could be an internal service's page: of an HTTP
// answer only the status code and the registry's short error codes (such as
// MANIFEST_UNKNOWN or UNAUTHORIZED) are shown, every other cause is a fixed
// phrase. The package does not log; an [Observer] counts lookups by result
// and cache hits.
package registry
