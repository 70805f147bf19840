// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package httpone

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// A body over MaxBody fails the call, whatever its framing; the client then
// works on a new connection.
func TestDoMaxBody(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	c.MaxBody = 1000
	for _, tc := range []struct {
		target string
		err    bool
	}{
		{target: "/big?n=1000"},
		{target: "/big?n=1000&chunked=1"},
		{target: "/big?n=1001", err: true},
		{target: "/big?n=3000&chunked=1", err: true},
	} {
		resps, err := c.Do(t.Context(), gets(tc.target))
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), "over the limit of 1000 bytes") {
				t.Errorf("%s: err = %v, want over the limit", tc.target, err)
			}
		} else if err != nil || len(resps[0].Body) != 1000 {
			t.Errorf("%s: %v", tc.target, err)
		}
		reqs := gets("/after")
		resps, err = c.Do(t.Context(), reqs)
		if err != nil {
			t.Fatalf("after %s: %v", tc.target, err)
		}
		checkBodies(t, reqs, resps)
	}
}

// A call on a stalled server ends when its ctx does, or when the client is
// closed, and the client works again afterwards.
func TestDoInterrupted(t *testing.T) {
	tests := []struct {
		name string
		// ctx returns the call's context and what to do once the server stalls.
		ctx  func(context.Context) (context.Context, context.CancelFunc)
		stop func(*Client, context.CancelFunc)
		want error
	}{
		{
			name: "deadline",
			ctx: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 50*time.Millisecond)
			},
			want: context.DeadlineExceeded,
		},
		{
			name: "cancel",
			ctx:  context.WithCancel,
			stop: func(_ *Client, cancel context.CancelFunc) { cancel() },
			want: context.Canceled,
		},
		{
			name: "close",
			ctx:  context.WithCancel,
			stop: func(c *Client, _ context.CancelFunc) { _ = c.Close() },
			want: net.ErrClosed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			c := f.client(t)
			ctx, cancel := tc.ctx(t.Context())
			defer cancel()
			if tc.stop != nil {
				go func() {
					select {
					case <-f.stalled:
						tc.stop(c, cancel)
					case <-t.Context().Done():
					}
				}()
			}
			_, err := c.Do(ctx, gets("/a", "/stall", "/b"))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			reqs := gets("/after")
			resps, err := c.Do(t.Context(), reqs)
			if err != nil {
				t.Fatal(err)
			}
			checkBodies(t, reqs, resps)
		})
	}
}

// A ctx that has ended already fails the call before it dials.
func TestDoEndedContext(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Do(ctx, gets("/a")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := f.conns.Load(); n != 0 {
		t.Errorf("%d connections, want 0", n)
	}
	if resps, err := c.Do(t.Context(), nil); resps != nil || err != nil {
		t.Errorf("empty batch: %v, %v", resps, err)
	}
}
