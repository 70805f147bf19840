// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package podstart measures how long a pod takes to start on a local real cluster for each
// way it can get its secrets: none, entrypoint injection with the command in the spec,
// entrypoint injection with the command taken from the image in a registry (both with the
// injector from the CSI driver's volume, the module's default), entrypoint injection with
// the injector copied by an init container, and a CSI volume of a SecretsStoreImport. A plain pod with one trivial init container is measured
// next to them as a reference: it shows what an init container costs on its own.
//
// Pod start is the time from the Create call returning to the application's first
// instruction. The application is busybox's adjtimex applet: a static program whose first
// system call after start-up reads CLOCK_REALTIME (adjtimex(2) in read-only mode) and
// prints it to the microsecond. The pods run on the same host and clock as the
// measurement, so the printed time minus the time Create returned is the pod start.
// busybox's date prints no fraction of a second (Debian's busybox-static has no %N), and a
// process's start time in /proc/<pid>/stat counts 10 ms ticks: neither is precise enough.
//
// Pods of all modes are created one at a time, the modes in rotation (each round starts
// with the next mode), so that the noise of a busy machine falls on every mode alike. Each
// pod is deleted, and gone, before the next one is created.
package podstart

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/bench/benchstack"
)

// Parameters of the measurement.
const (
	// Pods is the number of pods of each mode the figures are taken over.
	Pods = 20
	// Warmup is how many rounds run first and are not counted: the first start of an
	// image, a volume type or a store path is not the steady state.
	Warmup = 1

	namespace  = "pod-start"
	account    = "app"
	podTimeout = 2 * time.Minute
	runTimeout = 45 * time.Minute
)

// Mode is one way a pod gets, or does not get, its secrets.
type Mode int

// The modes, in the order of the page.
const (
	// NoSecrets is a plain pod: the baseline.
	NoSecrets Mode = iota
	// InitReference is a plain pod with one init container that runs `true`.
	InitReference
	// InjectCommand is entrypoint injection of one env reference, the command in the spec.
	InjectCommand
	// InjectImage is the same, without a command: the webhook reads it from the image's
	// configuration in a registry.
	InjectImage
	// InjectInit is InjectCommand with the injector copied by an init container (the
	// injector-delivery annotation) instead of the CSI driver's volume, the module's default.
	InjectInit
	// CSIVolume is a pod with a CSI volume of a SecretsStoreImport of one file.
	CSIVolume
	// InjectNRI is InjectCommand with the environment set by the container runtime
	// (env-delivery: NRI): no injector in the container.
	InjectNRI
	// Modes is the number of modes.
	Modes
)

// Samples are the times of the counted pods of one mode.
type Samples struct {
	// Start is from the Create call returning to the application's first instruction.
	Start []time.Duration
	// Create is the Create call itself (admission, with the webhook for injection).
	Create []time.Duration
	// Exec is from the injector's "environment resolved" log line to the application's
	// first instruction: the store token's revocation and the execve (injection only).
	Exec []time.Duration
}

// Result holds the figures of one run.
type Result struct {
	Pods  int
	Modes [Modes]Samples
}

// Run brings up a stack in a temporary directory with the module installed, runs the
// measurement and tears the stack down, also on error. It fails on errors of the setup or
// of a pod, never because a target is missed.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	o := benchstack.Options{Name: "podstart", Timeout: runTimeout, QPS: 50, Namespace: namespace, Account: account}
	err = benchstack.Run(ctx, repoRoot, log, o, func(ctx context.Context, e benchstack.Env) error {
		image, closeRegistry, err := prepare(ctx, e.Stack)
		if err != nil {
			return err
		}
		defer closeRegistry()
		return measure(ctx, e, image, &res)
	})
	return res, err
}

// measure starts the pods: Warmup rounds, then Pods rounds, one pod of every mode each.
func measure(ctx context.Context, e benchstack.Env, image string, res *Result) error {
	res.Pods = Pods
	for round := -Warmup; round < Pods; round++ {
		t0 := time.Now()
		for k := range Modes {
			m := (Mode(round+Warmup) + k) % Modes
			name := fmt.Sprintf("%s-%02d", m.key(), round+Warmup)
			s, err := startOne(ctx, e.Kube, podFor(m, name, image))
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", m, round+Warmup, err)
			}
			if round < 0 {
				continue
			}
			r := &res.Modes[m]
			r.Start, r.Create = append(r.Start, s.start), append(r.Create, s.create)
			if s.exec > 0 {
				r.Exec = append(r.Exec, s.exec)
			}
		}
		e.Logf("round %d of %d done in %s", round+Warmup+1, Pods+Warmup, time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

// key is the prefix of the pod names of a mode.
func (m Mode) key() string {
	return [Modes]string{"plain", "init-ref", "inject-cmd", "inject-image", "inject-init", "csi", "nri"}[m]
}

func (m Mode) String() string {
	return [Modes]string{
		"no secrets", "plain pod with a trivial init container",
		"entrypoint injection, command in the spec (the injector from the CSI driver's volume, the default)",
		"entrypoint injection, command from the image (the injector from the CSI driver's volume)",
		"entrypoint injection, command in the spec, the injector copied by an init container",
		"CSI volume",
		"environment set by the container runtime through NRI (env-delivery: NRI), command in the spec",
	}[m]
}
