// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"os"

	"github.com/deckhouse/secrets-store-integration/test/bench/podstart"
)

// podStartResults are the rows of the pod start measurement: the pod start of every way
// of delivering secrets, each against a pod without secrets.
func podStartResults(r podstart.Result) []result {
	rows := podstart.Rows(r)
	rs := make([]result, 0, len(rows))
	for _, x := range rows {
		rs = append(rs, result{what: x.What, ru: x.WhatRU, value: x.Value, valueRU: x.ValueRU, target: x.Target, met: x.Met})
	}
	return rs
}

// runPodStartOnly runs the pod start measurement alone and prints its rows and method in
// both languages; the pages are not written.
func runPodStartOnly(ctx context.Context) error {
	return runOnly(ctx, "pod start", func(ctx context.Context, root string) ([]result, pageMethods, error) {
		r, err := podstart.Run(ctx, root, os.Stderr)
		return podStartResults(r), pageMethods{ps: &r}, err
	})
}
