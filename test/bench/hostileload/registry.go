// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package hostileload

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// hostileRegistry answers every manifest request with a large body sent slowly: the
// worst a registry named in a pod can do to the webhook's memory without breaking the
// protocol. It counts requests and the most it saw in flight at once.
type hostileRegistry struct {
	srv      *http.Server
	addr     string
	body     int // bytes of every manifest
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	total    atomic.Int64
	wg       sync.WaitGroup
}

// manifestHead is a valid start of an OCI manifest; the rest of the body is padding inside
// an annotation, so that a client that reads it all sees one well-formed JSON document.
const manifestHead = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
	`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,` +
	`"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[],` +
	`"annotations":{"pad":"`

func startHostileRegistry(ctx context.Context, certFile, keyFile string, body int) (*hostileRegistry, error) {
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &hostileRegistry{addr: l.Addr().String(), body: body}
	r.srv = &http.Server{
		Handler:           http.HandlerFunc(r.serve),
		ReadHeaderTimeout: 5 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12},
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = r.srv.ServeTLS(l, "", "")
	}()
	return r, nil
}

func (r *hostileRegistry) close() {
	_ = r.srv.Close()
	r.wg.Wait()
}

func (r *hostileRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.total.Add(1)
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for {
		m := r.maxSeen.Load()
		if n <= m || r.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	if req.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	if !strings.Contains(req.URL.Path, "/manifests/") {
		http.NotFound(w, req)
		return
	}
	sum := sha256.Sum256([]byte(req.URL.Path))
	w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
	if req.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(r.body))
		return
	}
	// No Content-Length: the body comes chunked, so a client learns its size only by
	// reading it.
	r.stream(w, req)
}

// stream writes the manifest in 64 KiB chunks at 1 MiB/s, so that many lookups overlap,
// and stops when the client goes away.
func (r *hostileRegistry) stream(w http.ResponseWriter, req *http.Request) {
	const chunk = 64 << 10
	pad := []byte(strings.Repeat("A", chunk))
	pause := time.Second / 16
	written, err := w.Write([]byte(manifestHead))
	if err != nil {
		return
	}
	tail := `"}}`
	for written+len(tail) < r.body {
		n := min(chunk, r.body-len(tail)-written)
		if _, err := w.Write(pad[:n]); err != nil {
			return
		}
		written += n
		select {
		case <-req.Context().Done():
			return
		case <-time.After(pause):
		}
	}
	_, _ = w.Write([]byte(tail))
}
