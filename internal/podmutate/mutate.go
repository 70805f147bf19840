// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// Mutator injects the entrypoint injector into pods. It is safe for concurrent
// use when Images is.
type Mutator struct {
	Defaults Defaults
	// Images looks up the Entrypoint and Cmd of images for containers that
	// have no command in the spec.
	Images ImageResolver
	// MaxImages bounds the distinct images looked up for one pod; a pod
	// whose containers without a command use more is refused without any
	// lookup. 0 means DefaultMaxImages.
	MaxImages int
}

// target is a container to mutate with the argv it will hand to the injector.
type target struct {
	c    *corev1.Container
	init bool // an init container
	argv []string
}

// Mutate rewrites pod in place for entrypoint injection (see the package
// comment) and reports whether it changed anything. A pod without the role
// annotation, or one that is already mutated, is left unchanged. On error the
// pod is left unchanged too. Checks run in stages (annotations, then the pod,
// then its containers); the error lists every problem of the first stage that
// fails, joined with errors.Join.
//
// The namespace is taken from pod.Namespace: the caller sets it from the
// AdmissionRequest, since a pod being created may not carry it yet.
func (m *Mutator) Mutate(ctx context.Context, pod *corev1.Pod) (bool, error) {
	if pod.Annotations[RoleAnnotation] == "" {
		return false, nil
	}
	if done, err := injected(pod); done || err != nil {
		return false, err
	}
	s, err := ParseAnnotations(pod.Annotations, m.Defaults)
	if err != nil {
		return false, err
	}
	if err := checkPod(pod, s); err != nil {
		return false, err
	}
	targets := selectContainers(pod, s)
	if len(targets) == 0 {
		return false, nil
	}
	if s.EnvDelivery == EnvDeliveryNRI {
		if err := checkNRI(s, targets); err != nil {
			return false, err
		}
		applyNRI(pod, s, m.Defaults, targets)
		return true, nil
	}
	if err := m.plan(ctx, pod, targets); err != nil {
		return false, err
	}
	apply(pod, s, m.Defaults, targets)
	return true, nil
}

// injected reports whether the pod already carries the injector: its init
// container or its CSI volume. An init container of that name that does
// something else is an error rather than a reason to skip the pod, which
// opted in.
func injected(pod *corev1.Pod) (bool, error) {
	for i := range pod.Spec.Volumes {
		if isInjectorCSIVolume(&pod.Spec.Volumes[i]) || isEnvCSIVolume(&pod.Spec.Volumes[i]) {
			return true, nil
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		if c.Name != envcontract.InitContainerName {
			continue
		}
		if slices.Equal(c.Command, initCommand()) {
			return true, nil
		}
		return false, fmt.Errorf("init container %q is reserved for the secrets-store injector: rename it", c.Name)
	}
	return false, nil
}

// checkPod reports pods the mutation would make invalid or that cannot run
// the injector.
func checkPod(pod *corev1.Pod, s Settings) error {
	var errs []error
	if pod.Namespace == "" {
		errs = append(errs, errors.New("pod namespace is empty: set it from the admission request before mutating"))
	}
	if pod.Spec.OS != nil && pod.Spec.OS.Name == corev1.Windows {
		errs = append(errs, errors.New("pod runs on Windows: entrypoint injection supports Linux containers only"))
	}
	reserved := []string{envcontract.VolumeName, envcontract.TokenVolumeName, envcontract.EnvVolumeName}
	if s.TLSSecret != "" {
		reserved = append(reserved, envcontract.CAVolumeName)
	}
	for _, v := range pod.Spec.Volumes {
		if slices.Contains(reserved, v.Name) {
			errs = append(errs, fmt.Errorf("volume %q is reserved for the secrets-store injector: rename it", v.Name))
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == envcontract.InitContainerName {
			errs = append(errs, fmt.Errorf("container name %q is reserved for the secrets-store injector: rename the container", c.Name))
		}
	}
	return errors.Join(errs...)
}

// IstioContainers are skipped unless their env holds a reference: Istio's
// sidecar and its init container never read secrets from the store, and
// wrapping them would only cost registry lookups.
var IstioContainers = []string{"istio-proxy", "istio-init"}

// selectContainers returns the containers to mutate: init containers first,
// in spec order, then containers. A container is mutated only if it can need
// the injector (see needsInjector) and is not named in skip-mutate-containers.
func selectContainers(pod *corev1.Pod, s Settings) []target {
	targets := make([]target, 0, len(pod.Spec.InitContainers)+len(pod.Spec.Containers))
	for k, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			c := &list[i]
			if !slices.Contains(s.SkipMutateContainers, c.Name) && needsInjector(c, s) {
				targets = append(targets, target{c: c, init: k == 0})
			}
		}
	}
	return targets
}

// needsInjector reports whether the container can need the injector: with
// env-from-path every container gets the imported keys; otherwise only a
// container with a reference in env, an env entry taken from a ConfigMap or
// Secret, or any envFrom (whose ConfigMaps and Secrets the webhook does not
// read) can hold a reference. Istio's containers need a reference in env.
func needsInjector(c *corev1.Container, s Settings) bool {
	direct := false
	fromObjects := len(c.EnvFrom) > 0
	for _, e := range c.Env {
		if strings.Contains(e.Value, secretref.Prefix) {
			direct = true
		}
		if vf := e.ValueFrom; vf != nil && (vf.ConfigMapKeyRef != nil || vf.SecretKeyRef != nil) {
			fromObjects = true
		}
	}
	if slices.Contains(IstioContainers, c.Name) {
		return direct
	}
	return direct || fromObjects || len(s.EnvFromPath) > 0
}

// plan computes the argv of every target and checks each one, without
// changing the pod. Every problem of every container is reported. No
// lookup starts once ctx is done: the containers left are named in one
// error instead.
func (m *Mutator) plan(ctx context.Context, pod *corev1.Pod, targets []target) error {
	images := imageCache{resolver: m.Images, base: imageRef(pod)}
	var errs []error
	tooMany := m.checkImageCount(targets)
	if tooMany != nil {
		errs = append(errs, tooMany)
	}
	var skipped []string
	for i := range targets {
		c := targets[i].c
		lookup := m.Images != nil && needsLookup(c)
		switch {
		case lookup && tooMany != nil:
			// Refused as a whole above: no lookup at all.
		case lookup && !images.has(c.Image) && ctx.Err() != nil:
			skipped = append(skipped, c.Name)
		default:
			argv, err := images.argv(ctx, c)
			if err != nil {
				errs = append(errs, err)
			}
			targets[i].argv = argv
		}
		errs = append(errs, checkContainer(c)...)
	}
	if len(skipped) > 0 {
		errs = append(errs, fmt.Errorf("the images of containers %s were not looked up: %w: retry, or set command for them",
			quoteNames(skipped), ctx.Err()))
	}
	return errors.Join(errs...)
}

// checkContainer reports env names that would override the control variables
// and mounts at the paths the injector uses.
func checkContainer(c *corev1.Container) []error {
	var errs []error
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, envcontract.Prefix) {
			errs = append(errs, fmt.Errorf("container %q sets %s: names starting with %s are reserved for the injector's control variables: remove it and use the %s annotations instead",
				c.Name, truncate(e.Name), envcontract.Prefix, AnnotationPrefix))
		}
	}
	for _, vm := range c.VolumeMounts {
		switch path.Clean(vm.MountPath) {
		case envcontract.MountPath, envcontract.TokenMountPath, envcontract.CAMountPath:
			errs = append(errs, fmt.Errorf("container %q mounts volume %q at %s, which is reserved for the secrets-store injector: mount it elsewhere",
				c.Name, vm.Name, vm.MountPath))
		}
	}
	return errs
}
