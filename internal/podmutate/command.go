// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// ImageConfig is the part of an image's configuration that decides what a
// container without a command runs.
type ImageConfig struct {
	Entrypoint []string
	Cmd        []string
}

// ImageRef says which image to look up and how to authenticate.
type ImageRef struct {
	Image     string
	Namespace string // the pod's namespace, where PullSecrets live
	// PullSecrets names the pod's imagePullSecrets, in spec order.
	PullSecrets []string
	// Arch is the pod's kubernetes.io/arch node selector; "" lets the
	// resolver choose its default.
	Arch string
}

// ImageResolver looks up an image's configuration in its registry.
type ImageResolver interface {
	Resolve(ctx context.Context, ref ImageRef) (ImageConfig, error)
}

// imageRef returns the parts of an ImageRef shared by all containers of pod.
func imageRef(pod *corev1.Pod) ImageRef {
	ref := ImageRef{Namespace: pod.Namespace, Arch: pod.Spec.NodeSelector[corev1.LabelArchStable]}
	for _, s := range pod.Spec.ImagePullSecrets {
		if s.Name != "" {
			ref.PullSecrets = append(ref.PullSecrets, s.Name)
		}
	}
	return ref
}

// DefaultMaxImages is how many distinct images of one pod are looked up
// when Mutator.MaxImages is 0. Pods rarely run more than a few images; the
// bound keeps one pod from holding many registry lookups.
const DefaultMaxImages = 10

// needsLookup reports a container whose argv comes from its image.
func needsLookup(c *corev1.Container) bool {
	return len(c.Command) == 0 && c.Image != ""
}

// checkImageCount refuses a pod whose containers without a command use
// more distinct images than the limit, before any lookup.
func (m *Mutator) checkImageCount(targets []target) error {
	if m.Images == nil {
		return nil
	}
	limit := m.MaxImages
	if limit <= 0 {
		limit = DefaultMaxImages
	}
	images := map[string]bool{}
	var names []string
	for _, t := range targets {
		if needsLookup(t.c) {
			images[t.c.Image] = true
			names = append(names, t.c.Name)
		}
	}
	if len(images) <= limit {
		return nil
	}
	return fmt.Errorf("the containers without a command use %d distinct images, more than the %d this webhook looks up per pod: set command for containers %s",
		len(images), limit, quoteNames(names))
}

// quoteNames lists container names as "a", "b".
func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// imageCache resolves each distinct image of one pod once, remembering
// failures too.
type imageCache struct {
	resolver ImageResolver
	base     ImageRef
	seen     map[string]imageResult
}

type imageResult struct {
	cfg ImageConfig
	err error
}

// has reports whether image was looked up already.
func (ic *imageCache) has(image string) bool {
	_, ok := ic.seen[image]
	return ok
}

func (ic *imageCache) resolve(ctx context.Context, image string) (ImageConfig, error) {
	if r, ok := ic.seen[image]; ok {
		return r.cfg, r.err
	}
	ref := ic.base
	ref.Image = image
	cfg, err := ic.resolver.Resolve(ctx, ref)
	if ic.seen == nil {
		ic.seen = make(map[string]imageResult)
	}
	ic.seen[image] = imageResult{cfg, err}
	return cfg, err
}

// argv returns what c runs, following Kubernetes' rules: a command replaces
// the image's Entrypoint and Cmd; args alone replace Cmd; neither keeps both.
// Strings from the image are escaped, because they end up in args, where
// Kubernetes expands $(VAR) references.
func (ic *imageCache) argv(ctx context.Context, c *corev1.Container) ([]string, error) {
	if len(c.Command) > 0 {
		return concat(c.Command, c.Args), nil
	}
	const hint = "set command in the container spec"
	switch {
	case c.Image == "":
		return nil, fmt.Errorf("container %q has neither a command nor an image", c.Name)
	case ic.resolver == nil:
		return nil, fmt.Errorf("container %q has no command and image lookup is not configured: %s", c.Name, hint)
	}
	cfg, err := ic.resolve(ctx, c.Image)
	if err != nil {
		// The resolver's error names the image and says what to check; setting a
		// command is the way around any of them.
		return nil, fmt.Errorf("container %q has no command and reading the entrypoint of its image failed: %w; or %s",
			c.Name, err, hint)
	}
	tail := c.Args
	if len(tail) == 0 {
		tail = escapeAll(cfg.Cmd)
	}
	argv := concat(escapeAll(cfg.Entrypoint), tail)
	if len(argv) == 0 {
		return nil, fmt.Errorf("container %q: image %q: %w: %s", c.Name, c.Image, ErrNoCommand, hint)
	}
	return argv, nil
}

// concat returns a new slice holding a followed by b.
func concat(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

func escapeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = escape(s)
	}
	return out
}

// escape makes s survive Kubernetes' $(VAR) expansion of args and env values,
// which turns "$$" into "$".
func escape(s string) string {
	return strings.ReplaceAll(s, "$", "$$")
}
