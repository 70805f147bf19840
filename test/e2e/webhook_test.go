// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/modulechart"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The module fixture. By default the module is installed from its Helm chart
// (modulechart.Install): the webhook Deployment and the CSI plugin DaemonSet run as pods on the
// stack's node, with the objects exactly as the chart renders them. E2E_MODULE=process runs the
// webhook and the CSI plugin as host processes next to the stack instead (stack.InstallModule),
// which is easier to debug. One stack holds one of the two.
var moduleOptions = stack.ModuleOptions{AuthMount: AuthMount, RotationInterval: csiRotation}

// csiRotation is the rotation interval in e2e: short, so a change shows within seconds.
const csiRotation = 5 * time.Second

// module is the installed module as the fault tests drive it.
type module interface {
	// StopWebhook takes the webhook down and leaves its configuration, as in an outage.
	StopWebhook(ctx context.Context) error
	// StartWebhook brings the webhook back and waits until it serves.
	StartWebhook(ctx context.Context) error
	// KillCSIPlugin ends the CSI plugin abruptly, as a crash would.
	KillCSIPlugin(ctx context.Context) error
	// WaitCSIPlugin waits until a CSI plugin runs again and the kubelet lists it.
	WaitCSIPlugin(ctx context.Context) error
}

// mod is the module the fixture installed.
var mod module

var moduleFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := storeFixture(); err != nil {
		return err
	}
	if err := seedFixture(); err != nil {
		return err
	}
	switch v := os.Getenv("E2E_MODULE"); v {
	case "", "chart":
		m, err := modulechart.Install(ctx, stk, modulechart.Options{
			AuthMount: AuthMount, RotationInterval: csiRotation, Synchronization: true, Log: os.Stderr,
		})
		if err != nil {
			return fmt.Errorf("install the module from its chart: %w", err)
		}
		mod = m
	case "process":
		ds, err := kube.AppsV1().DaemonSets(modulechart.Namespace).List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil && len(ds.Items) > 0 {
			return errors.New("the module is installed from its chart on this stack: use another stack for E2E_MODULE=process")
		}
		if err := stk.InstallModule(ctx, moduleOptions); err != nil {
			return err
		}
		mod = processModule{s: stk, o: moduleOptions}
	default:
		return fmt.Errorf("E2E_MODULE=%q: want chart (the default) or process", v)
	}
	return nil
})

func setupModule(t *testing.T) {
	t.Helper()
	if err := moduleFixture(); err != nil {
		t.Fatalf("module fixture: %v", err)
	}
}

// processModule is the host-process install behind the module interface.
type processModule struct {
	s *stack.Stack
	o stack.ModuleOptions
}

func (p processModule) StopWebhook(context.Context) error {
	p.s.StopWebhook()
	return nil
}

func (p processModule) StartWebhook(ctx context.Context) error { return p.s.StartWebhook(ctx, p.o) }

func (p processModule) KillCSIPlugin(context.Context) error {
	p.s.KillProcess("csi-driver")
	return nil
}

// WaitCSIPlugin starts the plugin again, as the DaemonSet would, and waits until the kubelet
// lists it.
func (p processModule) WaitCSIPlugin(ctx context.Context) error { return p.s.StartCSIPlugin(ctx, p.o) }
