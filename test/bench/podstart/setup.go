// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podstart

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/deckhouse/secrets-store-integration/test/bench/benchstack"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The store and cluster objects: one KV v2 secret with one key, a policy and a role that
// read it, and a SecretsStoreImport of that key as one file.
const (
	kvMount    = "kv"
	secretName = "app"
	secretKey  = "K"
	secretPath = kvMount + "/data/" + secretName
	policy     = "pod-start-read"
	role       = "pod-start-role"
	ssiName    = "app-secrets"
	// imagePath is the repository of the application's image in the registry.
	imagePath = "bench/adjtimex:1"
)

// prepare writes the store's secret, policy and role and the SecretsStoreImport, starts a
// registry and publishes the application's image to it and to containerd. It returns the
// image's name and what stops the registry.
func prepare(ctx context.Context, s *stack.Stack) (image string, closeRegistry func(), err error) {
	steps := []func() error{
		func() error { return s.EnableKV(ctx, kvMount, 2) },
		func() error {
			_, err := s.PutKV2(ctx, kvMount, secretName, map[string]any{secretKey: "pod-start-value"})
			return err
		},
		func() error { return s.WritePolicy(ctx, policy, stack.ReadPolicy(kvMount+"/data/*")) },
		func() error { return s.WriteRole(ctx, benchstack.AuthMount, role, namespace, account, "10m", policy) },
		func() error {
			return s.ApplySSI(ctx, namespace, ssiName, role, stack.SSIFile{Name: secretKey, Path: secretPath, Key: secretKey})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return "", nil, fmt.Errorf("prepare the store and the cluster: %w", err)
		}
	}
	host, closeRegistry, err := startRegistry(ctx, filepath.Join(s.Dir, "pki", "localhost.crt"), filepath.Join(s.Dir, "pki", "localhost.key"))
	if err != nil {
		return "", nil, err
	}
	image = host + "/" + imagePath
	if err := publish(ctx, s, image); err != nil {
		closeRegistry()
		return "", nil, err
	}
	return image, closeRegistry, nil
}

// startRegistry serves go-containerregistry's in-memory registry on 127.0.0.1 (a free
// port) with the stack's localhost certificate, which the webhook trusts
// (--registry-ca-file), and returns its host:port and what stops it.
func startRegistry(ctx context.Context, certFile, keyFile string) (string, func(), error) {
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 5 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12},
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.ServeTLS(l, "", "") })
	return l.Addr().String(), func() {
		_ = srv.Close()
		wg.Wait()
	}, nil
}

// publish pushes the application's image, busybox whose entrypoint is adjtimex, to the
// registry, and imports the same image into containerd under the same name, so that the
// kubelet needs no pull (imagePullPolicy: Never) while the webhook reads its entrypoint
// from the registry.
func publish(ctx context.Context, s *stack.Stack, image string) error {
	spec := stack.BusyboxImageSpec(ctx)
	spec.Name = image
	spec.Entrypoint, spec.Cmd = []string{"/bin/" + stampCommand[0]}, nil
	img, err := spec.Build()
	if err != nil {
		return fmt.Errorf("build image %s: %w", image, err)
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(s.Env.CAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("no certificate in the stack's CA file " + s.Env.CAFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	if err := remote.Write(ref, img, remote.WithTransport(tr), remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("push %s: %w", image, err)
	}
	archive := filepath.Join(s.Dir, "images", "podstart-app.tar")
	if err := spec.WriteOCI(archive); err != nil {
		return fmt.Errorf("build image %s: %w", image, err)
	}
	return s.ImportImage(ctx, archive)
}
