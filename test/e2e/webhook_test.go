package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The module fixture: the webhook and the CSI node plugin run as processes next to the stack
// (stack.InstallModule), with the objects the chart renders for them.
var moduleOptions = stack.ModuleOptions{AuthMount: AuthMount, RotationInterval: csiRotation}

// csiRotation is the rotation interval in e2e: short, so a change shows within seconds.
const csiRotation = 5 * time.Second

var moduleFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := storeFixture(); err != nil {
		return err
	}
	if err := seedFixture(); err != nil {
		return err
	}
	return stk.InstallModule(ctx, moduleOptions)
})

func setupModule(t *testing.T) {
	t.Helper()
	if err := moduleFixture(); err != nil {
		t.Fatalf("module fixture: %v", err)
	}
}
