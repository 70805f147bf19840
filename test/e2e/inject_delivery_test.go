// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// injectorFromCSI reports whether a stored pod gets the injector from the module's CSI
// driver: the injector volume is a read-only volume of the driver and there is no init
// container that copies it.
func injectorFromCSI(p *corev1.Pod) bool {
	for _, c := range p.Spec.InitContainers {
		if c.Name == envcontract.InitContainerName {
			return false
		}
	}
	for _, v := range p.Spec.Volumes {
		if v.Name == envcontract.VolumeName {
			return v.CSI != nil && v.CSI.Driver == stack.CSIDriverName && v.CSI.ReadOnly != nil && *v.CSI.ReadOnly &&
				v.CSI.VolumeAttributes[envcontract.InjectorVolumeAttribute] == "true"
		}
	}
	return false
}

// Both ways of delivering the injector give the application its secret; the module's
// default is the CSI driver's volume, which the application cannot write to and which shows
// the node's one installed copy, and a pod can ask for the init container instead.
func TestInjectorDelivery(t *testing.T) {
	setupForms(t)
	// The app writes into the injector's directory (it must fail for the CSI volume) and
	// prints the secret.
	script := `if touch /secrets-store/x 2>/dev/null; then echo WRITABLE; else echo READ-ONLY; fi; ` +
		`ls -l /secrets-store/injector; echo "PASS=$PASS"`
	env := corev1.EnvVar{Name: "PASS", Value: formsRef("db", "password")}
	for _, tc := range []struct {
		name, annotation string
		csi              bool
	}{
		{name: "delivery-default", csi: true},
		{name: "delivery-csi", annotation: "CSIVolume", csi: true},
		{name: "delivery-init", annotation: "InitContainer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ann := map[string]string{}
			if tc.annotation != "" {
				ann["injector-delivery"] = tc.annotation
			}
			pod := formsPod(tc.name, script, ann, env)
			phase, logs := formsRun(t, pod)
			if phase != corev1.PodSucceeded || !strings.Contains(logs, "PASS="+formsPassTwo) {
				t.Fatalf("phase %s, want Succeeded with the secret; log:\n%s", phase, formsRedact(logs, "PASS"))
			}
			stored := formsStored(t, formsNS, pod.Name)
			if got := injectorFromCSI(stored); got != tc.csi {
				t.Errorf("injector from the CSI volume: %v, want %v; init containers %d", got, tc.csi, len(stored.Spec.InitContainers))
			}
			if tc.csi && !strings.Contains(logs, "READ-ONLY") {
				t.Errorf("the app could write to the CSI injector volume; log:\n%s", formsRedact(logs, "PASS"))
			}
		})
	}
	// The driver keeps one installed copy per node, with its watcher, executable by anyone,
	// writable by no one.
	dir := filepath.Join(stk.Env.KubeletDir, "plugins", stack.CSIDriverName, "injector")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var installed int
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(dir, e.Name(), envcontract.BinaryName))
		if err != nil || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		installed++
		if st.Mode().Perm() != 0o555 {
			t.Errorf("%s: mode %v, want 0555", e.Name(), st.Mode().Perm())
		}
		// The watcher a watch-for-data injector executes, next to it.
		if ws, err := os.Stat(filepath.Join(dir, e.Name(), envcontract.WatcherBinaryName)); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		} else if ws.Mode().Perm() != 0o555 {
			t.Errorf("%s: the watcher's mode %v, want 0555", e.Name(), ws.Mode().Perm())
		}
	}
	if installed != 1 {
		t.Errorf("%d injectors installed in %s, want 1", installed, dir)
	}
}
