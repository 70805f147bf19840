// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package podmutate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the current output")

// goldenDefaults changes the module defaults for the cases that need it.
var goldenDefaults = map[string]func(*Defaults){
	"module-ca": func(d *Defaults) { d.CACert = testCA },
	// tls-secret wins over the module CA.
	"tls-secret":      func(d *Defaults) { d.CACert = testCA },
	"all-annotations": func(d *Defaults) { d.Namespace = "module-ns"; d.TokenExpirationSeconds = 3600 },
	// The module delivers the injector from the CSI driver; the second pod
	// asks for the init container instead.
	"csi-volume":         func(d *Defaults) { d.Delivery = DeliveryCSIVolume },
	"csi-volume-opt-out": func(d *Defaults) { d.Delivery = DeliveryCSIVolume },
}

// TestGolden mutates testdata/<case>.in.yaml and compares the result with
// testdata/<case>.out.yaml; -update rewrites the expected files. Every result
// is mutated again to prove idempotency.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.in.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			d := testDefaults()
			if f := goldenDefaults[name]; f != nil {
				f(&d)
			}
			m := &Mutator{Defaults: d, Images: &fakeResolver{}}
			pod := readPod(t, in)
			orig := pod.DeepCopy()
			changed, err := m.Mutate(t.Context(), pod)
			if err != nil {
				t.Fatalf("Mutate: %v", err)
			}
			if got, want := changed, !equality.Semantic.DeepEqual(pod, orig); got != want {
				t.Errorf("changed = %v, but the pod differs from the input: %v", got, want)
			}
			got := podYAML(t, pod)
			out := filepath.Join("testdata", name+".out.yaml")
			if *update {
				if err := os.WriteFile(out, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got (-) differs from %s (+):\n%s", out, lineDiff(string(got), string(want)))
			}

			again := pod.DeepCopy()
			changed, err = m.Mutate(t.Context(), again)
			if err != nil || changed || !equality.Semantic.DeepEqual(again, pod) {
				t.Errorf("second Mutate = %v, %v (pod changed: %v), want false, nil and no change",
					changed, err, !equality.Semantic.DeepEqual(again, pod))
			}
		})
	}
}

// lineDiff lists the lines that differ, position by position; enough to
// find a change in a golden file.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n- " + gl + "\n+ " + wl + "\n")
		}
	}
	return b.String()
}
