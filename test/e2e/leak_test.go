// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Secret values the suite writes to the store. After the run, no component log and no event
// may contain any of them, nor anything shaped like a ServiceAccount token or a store token.
// Application pods print their secrets on purpose, so only the logs of the module's own
// components (host processes or pods in the module namespace) and of the cluster are read.
var (
	leakMu     sync.Mutex
	leakValues = map[string]bool{}
)

// secretValue registers a value written to the store and returns it.
func secretValue(v string) string {
	if v == "" {
		return v // every log contains the empty string: a caller that read nothing yet
	}
	leakMu.Lock()
	defer leakMu.Unlock()
	leakValues[v] = true
	return v
}

// leakCount is the number of registered secret values.
func leakCount() int {
	leakMu.Lock()
	defer leakMu.Unlock()
	return len(leakValues)
}

var (
	jwtShape   = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)
	tokenShape = regexp.MustCompile(`\b(hvs|s|b)\.[A-Za-z0-9]{20,}`)
)

// leaksIn returns what text, found at where, holds of the registered secret values and of
// anything shaped like a JWT or a store token. Only prefixes of tokens are quoted.
func leaksIn(where, text string) []string {
	leakMu.Lock()
	defer leakMu.Unlock()
	var found []string
	for v := range leakValues {
		if strings.Contains(text, v) {
			found = append(found, fmt.Sprintf("%s contains the secret value %q", where, v))
		}
	}
	if m := jwtShape.FindString(text); m != "" {
		found = append(found, fmt.Sprintf("%s contains a JWT (%.16s…)", where, m))
	}
	if m := tokenShape.FindString(text); m != "" {
		found = append(found, fmt.Sprintf("%s contains a store token (%.6s…)", where, m))
	}
	return found
}

// The scan finds each kind of material it looks for, so a clean result means something.
func TestLeakScanFindsPlantedMaterial(t *testing.T) {
	v := secretValue("planted-leak-check-value")
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	tok := "hvs.CAESIJlWh0123456789abcdefghij"
	for _, text := range []string{"msg=read value=" + v, "token=" + jwt, "X-Vault-Token: " + tok} {
		if found := leaksIn("planted", text); len(found) != 1 {
			t.Errorf("scan of %q found %q, want one hit", text, found)
		}
	}
	if found := leaksIn("clean", `level=INFO msg="environment resolved" count=2 paths=demo-kv/data/myapp-secret`); len(found) != 0 {
		t.Errorf("scan of a clean line found %q", found)
	}
}

// checkNoLeaks scans the stack's component logs, the module pods' logs and every event.
func checkNoLeaks(ctx context.Context) error {
	var found []string
	scan := func(where, text string) { found = append(found, leaksIn(where, text)...) }
	err := filepath.WalkDir(filepath.Join(stk.Dir, "logs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil {
			scan(p, string(b))
		}
		return err
	})
	if err != nil {
		return err
	}
	pods, err := kube.CoreV1().Pods(stack.ModuleNS).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list the module's pods: %w", err)
	}
	for _, p := range pods.Items {
		// Every container: the programs', their init containers' and kube-rbac-proxy's.
		for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
			logs, err := stack.ContainerLogs(ctx, kube, p.Namespace, p.Name, c.Name)
			if err != nil {
				if p.Status.Phase == corev1.PodRunning {
					return fmt.Errorf("read the log of container %s of pod %s/%s: %w", c.Name, p.Namespace, p.Name, err)
				}
				continue // never started: no log to read
			}
			scan("log of container "+c.Name+" of pod "+p.Namespace+"/"+p.Name, logs)
		}
	}
	evs, err := kube.CoreV1().Events("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, e := range evs.Items {
		scan(fmt.Sprintf("event %s/%s (%s)", e.Namespace, e.Name, e.Reason), e.Message)
	}
	if len(found) > 0 {
		return fmt.Errorf("secret material in logs or events:\n  %s", strings.Join(found, "\n  "))
	}
	return nil
}
