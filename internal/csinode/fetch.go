// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/atomicdir"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/internal/store"
	"github.com/deckhouse/secrets-store-integration/internal/storeconn"
)

// Sentinels of fetch failures that are not the store's.
var (
	// errNoToken: kubelet sent no token for the audience the resource asks
	// for (codes.FailedPrecondition).
	errNoToken = errors.New("no service account token for the audience")
	// errDecode: a value is not valid base64 (codes.FailedPrecondition).
	errDecode = errors.New("invalid base64")
	// errTooLarge: the files do not fit the volume (codes.ResourceExhausted).
	errTooLarge = errors.New("files too large for the volume")
)

// content is the result of one fetch.
type content struct {
	// ssi is the resource as read; set whenever it was read, also when a
	// later step failed (an Event goes to it).
	ssi     *ssi.SecretsStoreImport
	files   []atomicdir.File
	version string
	// reads are the read cache keys of the sources.
	reads []string
}

// fetch reads the volume's SecretsStoreImport and the secrets it names, and
// decodes them into files: resource → login → read → decode. Nothing is
// written.
func (s *Service) fetch(ctx context.Context, v *volume) (*content, error) {
	c := &content{}
	res, err := s.resource(ctx, v)
	c.ssi = res
	if err != nil {
		return c, err
	}
	sess, err := s.login(v, res)
	if err != nil {
		return c, err
	}
	secrets, reads, err := s.read(ctx, sess, res)
	if err != nil {
		return c, err
	}
	files, err := decodeFiles(res, secrets)
	if err != nil {
		return c, err
	}
	if err := checkSize(res, files, s.cfg.TmpfsSize); err != nil {
		return c, err
	}
	c.files, c.version, c.reads = files, s.versions.of(files), reads
	return c, nil
}

// resource reads the volume's SecretsStoreImport from the pod's namespace
// and validates it. The resource is returned whenever it was read.
func (s *Service) resource(ctx context.Context, v *volume) (*ssi.SecretsStoreImport, error) {
	res, err := s.ssis.Get(ctx, v.pod.Namespace, v.ssiName)
	if err != nil {
		if !errors.Is(err, ssi.ErrNotFound) && !errors.Is(err, ssi.ErrInvalid) {
			err = fmt.Errorf("%w: %w", errAPI, err)
		}
		return nil, err
	}
	return res, res.Validate()
}

// session is who reads, through which client.
type session struct {
	client   *store.Client
	login    store.Login
	identity string // the read cache's name for the login and connection
}

// login prepares the store login of the pod's ServiceAccount with the
// resource's role and the token kubelet sent for the resource's audience.
// The request itself is made by the first read that needs it; the store
// client caches the token per identity until its TTL.
func (s *Service) login(v *volume, res *ssi.SecretsStoreImport) (*session, error) {
	aud := s.audienceOf(res)
	jwt, ok := v.tokens[aud]
	if !ok {
		return nil, s.noToken(res, aud)
	}
	conn, err := connectionOf(s.cfg.Store, &res.Spec)
	if err != nil {
		return nil, fmt.Errorf("SecretsStoreImport %s: %w", res.Ref(), err)
	}
	conn = conn.ForAudience(aud)
	client, err := s.clients.Get(conn)
	if err != nil {
		return nil, fmt.Errorf("SecretsStoreImport %s: %w", res.Ref(), err)
	}
	return &session{
		client: client,
		login: store.Login{
			AuthPath:       conn.AuthPath(),
			Role:           res.Spec.Role,
			ServiceAccount: v.serviceAccount,
			JWT:            func(context.Context) (string, error) { return jwt, nil },
		},
		identity: conn.Identity(res.Spec.Role, v.serviceAccount),
	}, nil
}

// audienceOf is the audience of the token presented for res: spec.audience,
// or else the module's tokenAudience (--token-audience).
func (s *Service) audienceOf(res *ssi.SecretsStoreImport) string {
	return storeconn.FirstSet(res.Spec.Audience, s.cfg.TokenAudience)
}

// noToken explains a token kubelet did not send. kubelet sends one token
// per audience of the CSIDriver's tokenRequests, which the module renders
// from its tokenAudience and additionalTokenAudiences settings.
func (s *Service) noToken(res *ssi.SecretsStoreImport, aud string) error {
	if res.Spec.Audience != "" {
		return fmt.Errorf("%w: SecretsStoreImport %s asks for a token with audience %q (spec.audience), which the module does not request: "+
			"add %q to additionalTokenAudiences in the settings of the secrets-store-integration module, or remove spec.audience to use the module's tokenAudience (%s)",
			errNoToken, res.Ref(), aud, aud, describeAudience(s.cfg.TokenAudience))
	}
	return fmt.Errorf("%w: kubelet sent no token with the module's tokenAudience (%s) for SecretsStoreImport %s: "+
		"the CSIDriver %s does not request it yet; wait until the module's settings are applied, or check tokenAudience in the settings of the secrets-store-integration module",
		errNoToken, describeAudience(aud), res.Ref(), s.cfg.DriverName)
}

func describeAudience(aud string) string {
	if aud == "" {
		return "the API server's audience"
	}
	return strconv.Quote(aud)
}

// read reads every distinct source (path and version, or path and write
// body) of res once, concurrently, through the node-wide read cache.
func (s *Service) read(ctx context.Context, sess *session, res *ssi.SecretsStoreImport) (map[sourceKey]*store.Secret, []string, error) {
	keys := distinctSources(res)
	secrets := make([]*store.Secret, len(keys))
	errs := make([]error, len(keys))
	reads := make([]string, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		reads[i] = sess.identity + " " + k.cacheKey()
		wg.Go(func() {
			sec, hit, err := s.reads.get(ctx, reads[i], s.sourceOf(sess, k))
			s.countLookup(hit)
			if tick := s.cfg.maintainTick(); err == nil && !hit && sec.LeaseID != "" && sec.LeaseDuration < 4*tick {
				s.log.Warn("a lease is shorter than four maintenance periods and may end before it is renewed or read again: raise the lease's TTL in the store",
					"ssi", res.Ref(), "path", k.path, "lease_duration", sec.LeaseDuration, "maintenance_period", tick)
			}
			secrets[i], errs[i] = sec, err
		})
	}
	wg.Wait()
	out := make(map[sourceKey]*store.Secret, len(keys))
	for i, k := range keys {
		if errs[i] != nil {
			return nil, nil, fmt.Errorf("SecretsStoreImport %s, %s: %w", res.Ref(), fileNames(res, k), errs[i])
		}
		out[k] = secrets[i]
	}
	return out, reads, nil
}

// sourceOf is how the read cache reads and renews k for sess.
func (s *Service) sourceOf(sess *session, k sourceKey) source {
	src := source{
		read: func(ctx context.Context) (*store.Secret, error) {
			return sess.client.Read(ctx, sess.login, k.path, k.version)
		},
		renew: func(ctx context.Context, leaseID string, increment time.Duration) (store.Lease, error) {
			return sess.client.RenewLease(ctx, sess.login, leaseID, increment)
		},
	}
	if k.write != "" {
		src.write = true
		src.read = func(ctx context.Context) (*store.Secret, error) {
			var body map[string]any
			dec := json.NewDecoder(strings.NewReader(k.write))
			dec.UseNumber() // numbers as written, not as float64
			if err := dec.Decode(&body); err != nil {
				return nil, fmt.Errorf("%w: write body: %w", ssi.ErrInvalid, err)
			}
			return sess.client.Write(ctx, sess.login, k.path, body)
		}
	}
	return src
}

func (s *Service) countLookup(hit bool) {
	if hit {
		s.metrics.cacheLookups.WithLabelValues(resultHit).Inc()
	} else {
		s.metrics.cacheLookups.WithLabelValues(resultMiss).Inc()
	}
}

// sourceKey is one read of a volume: a path at a version (0: the current),
// or a write of a body to a path (write: its canonical JSON).
type sourceKey struct {
	path    string
	version int
	write   string
}

// keyOf is the read of src. Validate has checked that its write body
// encodes.
func keyOf(src ssi.Source) sourceKey {
	body, _ := src.WriteBody()
	return sourceKey{path: src.Path, version: src.Version, write: body}
}

// cacheKey names k in the read cache, after the identity.
func (k sourceKey) cacheKey() string {
	key := strconv.Quote(k.path) + " " + strconv.Itoa(k.version)
	if k.write != "" {
		key += " write " + strconv.Quote(k.write)
	}
	return key
}

func distinctSources(res *ssi.SecretsStoreImport) []sourceKey {
	var keys []sourceKey
	for _, f := range res.Spec.Files {
		if k := keyOf(f.Source); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, f := range res.Spec.FilesFrom {
		if k := keyOf(f.Source.Source("")); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// fileNames names the files taken from k: `file "a"` or `files "a", "b"`.
func fileNames(res *ssi.SecretsStoreImport, k sourceKey) string {
	var names []string
	for _, f := range res.Spec.Files {
		if keyOf(f.Source) == k {
			names = append(names, strconv.Quote(f.Name))
		}
	}
	for _, f := range res.Spec.FilesFrom {
		if keyOf(f.Source.Source("")) == k {
			return "every key of " + strconv.Quote(k.path)
		}
	}
	if len(names) == 1 {
		return "file " + names[0]
	}
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return "files " + strings.Join(names, ", ")
}

// decodeFiles takes each file's key from its secret, and every key of the
// secrets of filesFrom (later ones win, files win over all), and decodes
// base64 where asked.
func decodeFiles(res *ssi.SecretsStoreImport, secrets map[sourceKey]*store.Secret) ([]atomicdir.File, error) {
	byName := make(map[string]atomicdir.File, len(res.Spec.Files))
	for _, from := range res.Spec.FilesFrom {
		sec := secrets[keyOf(from.Source.Source(""))]
		keys := slices.Sorted(maps.Keys(sec.Data))
		var bad []string
		for _, key := range keys {
			if secretref.ValidateFileName(key) != nil {
				bad = append(bad, strconv.Quote(key))
			}
		}
		if len(bad) > 0 {
			if len(bad) > 10 {
				bad = append(bad[:10], "…")
			}
			return nil, fmt.Errorf("%w: SecretsStoreImport %s: keys %s of secret %q are not valid file names (no \"/\", no control characters, not starting with \".\", at most 255 bytes): take each of them with spec.files and a file name of its own, or rename the keys in the store",
				errDecode, res.Ref(), strings.Join(bad, ", "), from.Source.Path)
		}
		for _, key := range keys {
			f := ssi.File{Name: key, DecodeBase64: from.DecodeBase64, Mode: from.Mode, Source: from.Source.Source(key)}
			file, err := decodeFile(res, f, sec)
			if err != nil {
				return nil, err
			}
			byName[key] = file
		}
	}
	for _, f := range res.Spec.Files {
		file, err := decodeFile(res, f, secrets[keyOf(f.Source)])
		if err != nil {
			return nil, err
		}
		byName[f.Name] = file
	}
	switch n := len(byName); {
	case n == 0:
		return nil, fmt.Errorf("%w: SecretsStoreImport %s: the secrets of spec.filesFrom have no keys, and the volume would be empty: write the secrets, or list files in spec.files",
			errDecode, res.Ref())
	case n > ssi.MaxFiles:
		return nil, fmt.Errorf("%w: SecretsStoreImport %s: %d files, more than %d: take fewer secrets in spec.filesFrom, or split the volume in two",
			errDecode, res.Ref(), n, ssi.MaxFiles)
	}
	files := slices.Collect(maps.Values(byName))
	slices.SortFunc(files, func(a, b atomicdir.File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// decodeFile is the file f of the secret sec.
func decodeFile(res *ssi.SecretsStoreImport, f ssi.File, sec *store.Secret) (atomicdir.File, error) {
	val, err := sec.Value(f.Source.Key)
	if err != nil {
		return atomicdir.File{}, fmt.Errorf("SecretsStoreImport %s, file %q: %w", res.Ref(), f.Name, err)
	}
	data := []byte(val)
	if f.DecodeBase64 {
		if data, err = decodeBase64(val); err != nil {
			return atomicdir.File{}, fmt.Errorf("%w: SecretsStoreImport %s, file %q: the value of key %q in secret %q is not valid base64 (%w): store the file base64-encoded (base64 -w0), or set decodeBase64: false",
				errDecode, res.Ref(), f.Name, f.Source.Key, f.Source.Path, err)
		}
	}
	// Validate has limited the mode to ssi.FileModes: small and positive.
	return atomicdir.File{Name: f.Name, Data: data, Mode: os.FileMode(f.EffectiveMode()) & fs.ModePerm}, nil //nolint:gosec // G115: see above
}

// decodeBase64 accepts standard base64 (RFC 4648 §4) with or without padding;
// line breaks are ignored. Other alphabets are errors. The error names the
// offset only, never the input.
func decodeBase64(s string) ([]byte, error) { return secretref.DecodeBase64(s) }

// pageSize is tmpfs's allocation unit.
const pageSize = 4096

// checkSize refuses files that would not fit the tmpfs twice: during an
// update the old and the new payload coexist.
func checkSize(res *ssi.SecretsStoreImport, files []atomicdir.File, size int64) error {
	var need int64
	largest := -1
	for i, f := range files {
		need += 2 * ((int64(len(f.Data)) + pageSize - 1) / pageSize * pageSize)
		if len(f.Name) >= 120 {
			need += pageSize // a long symlink target takes a page
		}
		if largest < 0 || len(f.Data) > len(files[largest].Data) {
			largest = i
		}
	}
	if need <= size {
		return nil
	}
	what := fmt.Sprintf("the %d files need", len(files))
	if len(files) == 1 {
		what = "the file needs"
	}
	return fmt.Errorf("%w: SecretsStoreImport %s: %s %d KiB on the volume (two copies during an update; the largest, file %q, is %d KiB), more than its size of %d KiB: make the secrets smaller or raise csiDriver.volumeSize in the module configuration",
		errTooLarge, res.Ref(), what, need>>10, files[largest].Name, (len(files[largest].Data)+1023)>>10, size>>10)
}

// versioner names contents (names, data and modes) with an HMAC-SHA256 under a per-process random
// key: equal contents have equal versions within the process, and a version
// reveals nothing about the content (a plain hash of a short secret can be
// brute-forced).
type versioner struct{ key []byte }

func newVersioner() versioner {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on Linux
	return versioner{key: key}
}

func (vr versioner) of(files []atomicdir.File) string {
	sorted := slices.SortedFunc(slices.Values(files), func(a, b atomicdir.File) int { return strings.Compare(a.Name, b.Name) })
	h := hmac.New(sha256.New, vr.key)
	for _, f := range sorted {
		// Length-prefixed, so that no two contents encode alike; the mode is
		// part of the content (a change of mode alone is written).
		for _, part := range [][]byte{[]byte(f.Name), f.Data, strconv.AppendUint(nil, uint64(f.Mode), 8)} {
			_, _ = h.Write(strconv.AppendInt(nil, int64(len(part)), 10))
			_, _ = h.Write([]byte{':'})
			_, _ = h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
