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
// the lookup. A secret that is missing, of another type or malformed is
// skipped, as kubelet skips it, and named in the error if access is denied.
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
// reusing old entries. Failures are never cached. Concurrent identical
// lookups share one request; the shared request runs detached from any one
// caller's cancellation, bounded by Config.Timeout (5 s by default, below
// the admission timeout so that the user reads this package's message).
//
// # Platform
//
// For an image index the image for linux/<arch> is used, arch being the
// pod's kubernetes.io/arch node selector, or Config.DefaultArch ("amd64")
// when the pod has none. The default is not the webhook's own architecture,
// which says nothing about the node the pod will run on. The variant
// containerd prefers (v8 for arm64, v7 for arm) wins over others. An index
// without that platform is an ErrPlatform naming the platforms it has. A
// single-platform image is used as is.
//
// # Transport
//
// TLS is always verified, against the system pool plus Config.CABundle.
// go-containerregistry falls back to plain http for loopback and private
// addresses on its own; that fallback is refused unless the registry is
// listed in Config.InsecureRegistries, which also skips certificate
// verification for it. Response bodies are bounded (8 MiB), since the
// registry is chosen by whoever creates the pod.
//
// # Errors
//
// Every error from Resolve is an [*Error] naming the image and saying what
// to check; it matches one of the Err* sentinels with errors.Is. It never
// contains credentials. The package does not log; an [Observer] counts
// lookups by result and cache hits.
package registry
