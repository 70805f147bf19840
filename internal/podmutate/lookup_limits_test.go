// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// podWithImages is an opted-in pod with one container without a command per
// image, named c0, c1, …
func podWithImages(images ...string) *corev1.Pod {
	pod := simplePod(nil)
	pod.Spec.Containers = nil
	for i, img := range images {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: img, Env: refEnv()})
	}
	return pod
}

// countingResolver answers every image with an entrypoint and counts calls;
// onCall runs before each answer.
type countingResolver struct {
	mu     sync.Mutex
	calls  int
	onCall func()
}

func (r *countingResolver) Resolve(context.Context, ImageRef) (ImageConfig, error) {
	r.mu.Lock()
	r.calls++
	f := r.onCall
	r.mu.Unlock()
	if f != nil {
		f()
	}
	return ImageConfig{Entrypoint: []string{"/app"}}, nil
}

func (r *countingResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func distinctImages(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("registry.example.com/team/app%d:1", i)
	}
	return out
}

func TestMutateImageLimit(t *testing.T) {
	tests := []struct {
		name      string
		images    []string
		max       int
		wantErr   []string // parts of the message; none: mutated
		wantCalls int
	}{
		{name: "default limit reached", images: distinctImages(DefaultMaxImages), wantCalls: DefaultMaxImages},
		{
			name:   "default limit exceeded",
			images: distinctImages(DefaultMaxImages + 1),
			wantErr: []string{
				"the containers without a command use 11 distinct images, more than the 10 this webhook looks up per pod",
				`set command for containers "c0", "c1"`, `"c10"`,
			},
		},
		{
			name:      "one image in many containers counts once",
			images:    []string{"a:1", "a:1", "a:1", "b:1"},
			max:       2,
			wantCalls: 2,
		},
		{
			name:    "configured limit",
			images:  distinctImages(3),
			max:     2,
			wantErr: []string{"3 distinct images, more than the 2 this webhook looks up per pod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingResolver{}
			m := &Mutator{Defaults: testDefaults(), Images: r, MaxImages: tt.max}
			pod := podWithImages(tt.images...)
			_, err := m.Mutate(t.Context(), pod)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
			} else {
				if err == nil {
					t.Fatal("got no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("got %q, want it to contain %q", err, w)
					}
				}
			}
			if got := r.count(); got != tt.wantCalls {
				t.Errorf("got %d lookups, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestMutateStopsLookupsWhenContextEnds: once the review's context is done,
// no further lookup starts; the containers left are named in one error that
// matches the context's error (a cluster-side refusal).
func TestMutateStopsLookupsWhenContextEnds(t *testing.T) {
	images := distinctImages(5)
	tests := []struct {
		name      string
		cancelAt  int // cancel during this lookup; 0: before Mutate
		wantCalls int
		wantNamed []string
	}{
		{name: "done before the first lookup", wantCalls: 0, wantNamed: []string{`"c0"`, `"c4"`}},
		{name: "done during the second lookup", cancelAt: 2, wantCalls: 2, wantNamed: []string{`"c2", "c3", "c4"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			r := &countingResolver{}
			r.onCall = func() {
				if r.count() == tt.cancelAt {
					cancel()
				}
			}
			if tt.cancelAt == 0 {
				cancel()
			}
			m := &Mutator{Defaults: testDefaults(), Images: r}
			_, err := m.Mutate(ctx, podWithImages(images...))
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want an error matching context.Canceled", err)
			}
			if got := r.count(); got != tt.wantCalls {
				t.Errorf("got %d lookups, want %d", got, tt.wantCalls)
			}
			for _, w := range tt.wantNamed {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to name %s", err, w)
				}
			}
			if !strings.Contains(err.Error(), "were not looked up") || !strings.Contains(err.Error(), "set command for them") {
				t.Errorf("got %q, want it to say the images were not looked up and to set command", err)
			}
		})
	}
}
