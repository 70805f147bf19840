// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package modulechart

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/hooks/connection"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// KubeVersion is the Kubernetes version the chart is rendered for: the stack's.
const KubeVersion = stack.KubernetesVersion

// Values are the chart values for the stack, in increasing precedence:
//  1. test/chart/testdata/values/base.yaml, what Deckhouse passes with the schema defaults;
//  2. test/chart/testdata/values/local.yaml, what Deckhouse's discovery reports for a
//     single-node cluster without system nodes;
//  3. test/chart/local_values.yaml, settings for a single node (one replica of each
//     Deployment);
//  4. the running stack: internal.connection as the connection hook computes it for Manual
//     mode with the stack's store, the webhook certificate the stack issued for 127.0.0.1, the
//     rotation interval, the token audiences (tokenAudience from o, ExtraTokenAudience as the
//     one additional audience), synchronization.enabled from o, no monitoring modules (the
//     stack serves no PodMonitor API), and the stack CA as the kube-rbac-proxy CA
//     (global.internal.modules.kubeRBACProxyCA, which Deckhouse sets).
//
// Under LocalKey it puts the *Local that Render applies to the rendered objects: free ports
// for the listeners, the apiserver port, the kubelet directory, the local images.
func Values(s *stack.Stack, o Options) (map[string]any, error) {
	var v map[string]any
	for _, f := range []string{
		"test/chart/testdata/values/base.yaml", "test/chart/testdata/values/local.yaml", "test/chart/local_values.yaml",
	} {
		layer, err := readYAML(filepath.Join(s.RepoRoot, f))
		if err != nil {
			return nil, err
		}
		v = Merge(v, layer)
	}
	pki := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(s.Dir, "pki", name)) //nolint:gosec // G304: a file the stack wrote under s.Dir.
		return string(b), err
	}
	ca, err := pki("ca.crt")
	if err != nil {
		return nil, err
	}
	crt, err := pki("localhost.crt")
	if err != nil {
		return nil, err
	}
	key, err := pki("localhost.key")
	if err != nil {
		return nil, err
	}
	conn, err := connection.Effective(connection.Settings{
		Mode: connection.ModeManual, URL: s.Env.StoreAddr, AuthPath: o.AuthMount, CACert: ca,
	}, nil, nil)
	if err != nil {
		return nil, err
	}
	connValue, err := toMap(conn.Value())
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(len(chartPorts))
	if err != nil {
		return nil, err
	}
	enabled := []any{}
	for _, m := range asSlice(dig(v, "global", "enabledModules")) {
		if m != "prometheus" && m != "operator-prometheus" {
			enabled = append(enabled, m)
		}
	}
	stackValues := map[string]any{
		"global": map[string]any{
			"enabledModules": enabled,
			"internal":       map[string]any{"modules": map[string]any{"kubeRBACProxyCA": map[string]any{"cert": ca}}},
		},
		"secretsStoreIntegration": map[string]any{
			"rotationInterval":         o.RotationInterval.String(),
			"tokenAudience":            o.TokenAudience,
			"additionalTokenAudiences": []any{ExtraTokenAudience},
			"synchronization":          map[string]any{"enabled": o.Synchronization},
			// containerd 2 of the stack has NRI on: the CSI driver runs its NRI plugin there.
			"csiDriver": map[string]any{"nriSocket": s.Env.NRISocket},
			"internal": map[string]any{
				"connection":  connValue,
				"webhookCert": map[string]any{"crt": crt, "key": key, "ca": ca},
			},
		},
	}
	v = Merge(v, stackValues)
	local := &Local{
		BindAddress:   "127.0.0.1",
		Ports:         map[int64]int64{},
		APIServerHost: "127.0.0.1",
		APIServerPort: s.Env.Ports["apiserver"],
		WebhookURL:    fmt.Sprintf("https://127.0.0.1:%d/mutate", ports[0]), // chartPorts[0], the webhook's
		KubeletDir:    s.Env.KubeletDir,
		Digests:       map[string]string{},
		Images:        map[string]string{},
	}
	for i, p := range chartPorts {
		local.Ports[p] = int64(ports[i])
	}
	for _, spec := range imageSpecs {
		digest, _ := dig(v, "global", "modulesImages", "digests", "secretsStoreIntegration", spec.key).(string)
		if digest == "" {
			return nil, fmt.Errorf("values have no global.modulesImages.digests.secretsStoreIntegration.%s", spec.key)
		}
		local.Digests[spec.key] = digest
		local.Images[spec.key] = LocalImagePrefix + spec.name + ":dev"
	}
	// The platform's kube-rbac-proxy, a common image: the stack's build of it (kubeRBACProxyImage).
	digest, _ := dig(v, "global", "modulesImages", "digests", "common", kubeRBACProxyKey).(string)
	if digest == "" {
		return nil, fmt.Errorf("values have no global.modulesImages.digests.common.%s", kubeRBACProxyKey)
	}
	local.Digests[kubeRBACProxyKey] = digest
	local.Images[kubeRBACProxyKey] = LocalImagePrefix + "kube-rbac-proxy:dev"
	v[LocalKey] = local
	return v, nil
}

// chartPorts are the ports the chart's listeners use (templates/_helpers.tpl, ssi.port), each
// given a free local one; the webhook's first.
var chartPorts = []int64{
	9443, 9080, 9090, 9190, // webhook: https, health, metrics (127.0.0.1), kube-rbac-proxy
	9808, 9809, 9810, // CSI driver: health, metrics (127.0.0.1), kube-rbac-proxy
	9081, 9091, 9191, // sync controller: health, metrics (127.0.0.1), kube-rbac-proxy
}

// LocalImagePrefix starts the names of the images built for the local cluster.
const LocalImagePrefix = "localhost/secrets-store-integration/"

// Render renders the chart in repoRoot (loaded as Helm loads it, .helmignore included) with
// values, for KubeVersion and without the monitoring APIs, and returns its objects ordered by
// template path, then in template order. The values are not checked against openapi/: the
// schema is Deckhouse's, not the chart's.
func Render(repoRoot string, values map[string]any) ([]*unstructured.Unstructured, error) {
	local, _ := values[LocalKey].(*Local)
	if local != nil {
		values = maps.Clone(values)
		delete(values, LocalKey)
	}
	ch, err := loader.Load(repoRoot)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: KubeVersion, Major: "1", Minor: "33"}
	opts := chartutil.ReleaseOptions{Name: ReleaseName, Namespace: Namespace, IsInstall: true}
	vals, err := chartutil.ToRenderValues(ch, values, opts, caps)
	if err != nil {
		return nil, fmt.Errorf("render values: %w", err)
	}
	out, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render chart: %w", err)
	}
	paths := make([]string, 0, len(out))
	for p := range out {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		for i, doc := range docSeparator.Split(out[p], -1) {
			j, err := yaml.YAMLToJSON([]byte(doc))
			if err != nil {
				return nil, fmt.Errorf("%s document %d: %w", p, i, err)
			}
			if s := strings.TrimSpace(string(j)); s == "null" || s == "{}" {
				continue // blank or comments only
			}
			// UnmarshalJSON keeps integers int64, as the typed clients and the apiserver do.
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON(j); err != nil {
				return nil, fmt.Errorf("%s document %d: %w", p, i, err)
			}
			if u.GetName() == "" {
				return nil, fmt.Errorf("%s document %d (%s) has no name", p, i, u.GetKind())
			}
			objs = append(objs, u)
		}
	}
	if local != nil {
		if err := local.apply(objs); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

func readYAML(path string) (map[string]any, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: a values file of the repository under test (Stack.RepoRoot).
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return v, nil
}

// Merge returns dst with src merged in, as Helm merges values files: maps recursively,
// anything else replaced. Neither argument is changed.
func Merge(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := out[k].(map[string]any)
		if sok && dok {
			out[k] = Merge(dm, sm)
			continue
		}
		out[k] = v
	}
	return out
}

// dig returns the value at path in nested maps, or nil.
func dig(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// toMap converts a value the hooks write (a struct with JSON tags) to what the templates read.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// freePorts returns n distinct ports on 127.0.0.1 that were free a moment ago.
func freePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p, err := stack.FreePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports, nil
}

// renderedReplicas is spec.replicas of the webhook Deployment as rendered.
func renderedReplicas(objs []*unstructured.Unstructured) (int32, error) {
	for _, o := range objs {
		if o.GetKind() == "Deployment" && o.GetName() == webhookDeployment {
			r, ok, err := unstructured.NestedInt64(o.Object, "spec", "replicas")
			switch {
			case err != nil:
				return 0, fmt.Errorf("deployment %s: spec.replicas: %w", webhookDeployment, err)
			case !ok:
				return 0, fmt.Errorf("deployment %s has no spec.replicas: the chart must render it", webhookDeployment)
			case r < 1 || r > math.MaxInt32:
				return 0, fmt.Errorf("deployment %s: spec.replicas %d, want 1 to %d", webhookDeployment, r, math.MaxInt32)
			}
			return int32(r), nil
		}
	}
	return 0, fmt.Errorf("the chart rendered no Deployment %s", webhookDeployment)
}

func splitWebhookConfiguration(objs []*unstructured.Unstructured) (early, late []*unstructured.Unstructured) {
	for _, o := range objs {
		if strings.HasSuffix(o.GetKind(), "WebhookConfiguration") {
			late = append(late, o)
		} else {
			early = append(early, o)
		}
	}
	return early, late
}
