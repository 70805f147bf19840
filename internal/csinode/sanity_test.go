// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// sanitySkipped lists the sanity specs that cannot apply to a node-only
// driver of inline ephemeral volumes, and why. Every other spec must pass;
// specs for capabilities the driver does not advertise (staging, stats,
// expansion, health, every Controller RPC but ControllerGetCapabilities)
// skip themselves.
var sanitySkipped = map[string]string{
	// It provisions its volume with Controller CreateVolume, which a driver
	// without a controller does not have. TestUnpublish covers the same
	// requirement (the target path is removed).
	"Node Service NodeUnpublishVolume should remove target path": "needs Controller CreateVolume",
	// Both create their volume with Controller CreateVolume first.
	"Controller Service [Controller Server] ValidateVolumeCapabilities should fail when no volume capabilities are provided":        "needs Controller CreateVolume",
	"Controller Service [Controller Server] ValidateVolumeCapabilities should return appropriate values (no optional values added)": "needs Controller CreateVolume",
}

// TestSanity runs the CSI sanity suite against the real gRPC server on a
// unix socket, with a fake mounter (no real mounts).
func TestSanity(t *testing.T) {
	h := newHarness(t)
	root := h.cfg.KubeletDir
	if err := os.MkdirAll(filepath.Join(root, "pods"), 0o750); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	srv := NewServer(h.cfg.Endpoint, h.svc, h.svc.log)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		if _, err := os.Lstat(h.cfg.Endpoint); err == nil {
			t.Error("socket left behind after stop")
		}
	})
	for !srv.Serving() {
		time.Sleep(time.Millisecond)
	}

	cfg := sanity.NewTestConfig()
	cfg.Address = "unix://" + h.cfg.Endpoint
	cfg.TargetPath = filepath.Join(root, "pods", "sanity-target")
	cfg.StagingPath = filepath.Join(root, "sanity-staging")
	cfg.IdempotentCount = 3
	sc := sanity.GinkgoTest(&cfg)
	defer sc.Finalize()

	gomega.RegisterFailHandler(ginkgo.Fail)
	suite, reporter := ginkgo.GinkgoConfiguration()
	for spec := range sanitySkipped {
		suite.SkipStrings = append(suite.SkipStrings, regexp.QuoteMeta(spec))
	}
	if !testing.Verbose() && !reporter.Verbose && !reporter.VeryVerbose {
		reporter.Succinct = true
	}
	ginkgo.RunSpecs(t, "CSI sanity", suite, reporter)
}
