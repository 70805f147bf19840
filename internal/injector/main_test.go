// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
)

// The exec tests run this test binary as the application the injector
// executes: with helperEnv set, it prints its PID and environment and exits
// with the status in helperExitEnv instead of running tests.
const (
	helperEnv     = "INJECTOR_TEST_HELPER"
	helperExitEnv = "INJECTOR_TEST_EXIT"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helper())
	}
	code := m.Run()
	removeBuiltBinary()
	os.Exit(code)
}

func helper() int {
	fmt.Printf("pid=%d\n", os.Getpid())
	env := os.Environ()
	slices.Sort(env)
	for _, kv := range env {
		fmt.Printf("env %s\n", strconv.Quote(kv))
	}
	code, _ := strconv.Atoi(os.Getenv(helperExitEnv))
	return code
}
