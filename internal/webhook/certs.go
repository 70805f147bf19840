// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// certReloader serves the key pair from two files and picks up new files
// without a restart. It polls the files' metadata (size, modification time,
// identity) every interval: this follows the symlink swap with which the
// kubelet updates a mounted Secret, needs no inotify and costs two stat
// calls per interval. A changed pair is loaded and checked (key matches
// certificate, certificate parses); if it is invalid, for example because
// only one of the two files has been replaced yet, the previous certificate
// stays in use, the problem is logged once, and the next change is tried
// again.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	onLoad            func(leaf *x509.Certificate)

	cert atomic.Pointer[tls.Certificate]
	// seen is the metadata of the pair last tried; only the watch
	// goroutine touches it after the first load.
	seen [2]os.FileInfo
}

func newCertReloader(certFile, keyFile string, log *slog.Logger, onLoad func(*x509.Certificate)) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log, onLoad: onLoad}
	seen, err := r.stat()
	if err != nil {
		return nil, err
	}
	r.seen = seen
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is the tls.Config callback: the current pair.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

func (r *certReloader) stat() ([2]os.FileInfo, error) {
	var out [2]os.FileInfo
	for i, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return out, fmt.Errorf("stat tls file: %w", err)
		}
		out[i] = fi
	}
	return out, nil
}

// load reads and checks the pair and makes it current.
func (r *certReloader) load() error {
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		// The error text names the problem (mismatch, no PEM block),
		// never key material.
		return fmt.Errorf("load tls key pair %q, %q: %w", r.certFile, r.keyFile, err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("parse tls certificate %q: %w", r.certFile, err)
		}
		pair.Leaf = leaf
	}
	r.cert.Store(&pair)
	if r.onLoad != nil {
		r.onLoad(leaf)
	}
	r.log.Info("serving certificate loaded",
		slog.String("serial", leaf.SerialNumber.Text(16)),
		slog.Time("not_after", leaf.NotAfter),
		slog.Any("dns_names", leaf.DNSNames))
	return nil
}

// watch reloads the pair whenever the files change, until ctx ends.
func (r *certReloader) watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check()
		}
	}
}

// check loads the pair if its files changed since the last try.
func (r *certReloader) check() {
	cur, err := r.stat()
	if err != nil {
		if r.seen[0] != nil { // once per disappearance
			r.log.Warn("tls files unreadable, keeping the previous certificate", slog.String("error", err.Error()))
		}
		r.seen = [2]os.FileInfo{}
		return
	}
	if !changed(r.seen[0], cur[0]) && !changed(r.seen[1], cur[1]) {
		return
	}
	r.seen = cur
	if err := r.load(); err != nil {
		r.log.Warn("new tls files invalid, keeping the previous certificate", slog.String("error", err.Error()))
	}
}

func changed(old, cur os.FileInfo) bool {
	return old == nil || !os.SameFile(old, cur) || old.Size() != cur.Size() || !old.ModTime().Equal(cur.ModTime())
}
