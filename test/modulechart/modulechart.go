// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package modulechart installs the module on the local real cluster (test/stack) from its Helm
// chart, as Deckhouse would: the images are built from the repository and imported into the
// node's containerd, the CRDs are applied, the chart is rendered exactly as shipped with the
// values Deckhouse passes (plus test/chart/local_values.yaml, settings only) and the running
// stack's connection and certificate, the local cluster's differences are applied to the rendered
// objects (local.go: the node's network, 127.0.0.1 listeners, the webhook by URL, local images),
// and every object is server-side applied. The webhook and the CSI node plugin then run
// as the chart's Deployment and DaemonSet pods, and with Options.Synchronization the sync
// controller as its Deployment (its image is built only then).
//
// Install is idempotent: on a stack where the module runs already it applies the new render,
// deletes what the render no longer has (the sync controller's objects, when synchronization
// was on before and is off now) and replaces the pods that still run an image older than the
// one just built.
package modulechart

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Names the chart gives the module's objects (templates/_helpers.tpl and the templates).
const (
	Namespace   = "d8-secrets-store-integration"
	ReleaseName = "secrets-store-integration"
	DriverName  = "secrets-store.csi.deckhouse.io"

	webhookDeployment = "secrets-store-webhook"
	csiDaemonSet      = "csi-driver"
	webhookSelector   = "app=webhook"
	csiSelector       = "app=csi-driver"

	// SyncDeployment is the sync controller's Deployment, rendered while synchronization is on.
	SyncDeployment = "sync-controller"
	syncSelector   = "app=sync-controller"
)

// FieldManager owns the fields Install applies.
const FieldManager = "secrets-store-integration-e2e"

// Options are the module settings of the install.
type Options struct {
	AuthMount        string        // store auth path (connection.authPath)
	RotationInterval time.Duration // rotationInterval; below the schema's 30 s minimum is fine here
	TokenAudience    string        // tokenAudience; "" is the API server's audience
	// Synchronization sets synchronization.enabled: the sync controller's image is built and
	// the install waits until its Deployment is available and SecretsStoreSync objects are
	// admitted. Off, the install neither builds nor waits for anything of it.
	Synchronization bool
	Log             io.Writer // progress lines; nil discards
}

// ExtraTokenAudience is listed in additionalTokenAudiences of every install, so that a
// SecretsStoreImport may ask for it in spec.audience, as an administrator would allow.
const ExtraTokenAudience = "secrets-store-e2e"

// Module is the module installed from the chart. Its methods inject the faults the e2e suite
// needs: a webhook outage and a crash of the CSI node plugin.
type Module struct {
	s    *stack.Stack
	kube kubernetes.Interface
	log  io.Writer

	webhookReplicas int32              // as rendered, restored by StartWebhook
	values          map[string]any     // the install's chart values, the base of Configure
	killed          map[types.UID]bool // CSI plugin pods deleted by KillCSIPlugin
	images          []builtImage       // built and imported so far
	sync            bool               // synchronization.enabled of the last render applied
}

// Install builds and imports the images, applies the CRDs, renders the chart for the stack and
// applies it, and waits until the webhook serves and the kubelet has registered the CSI driver,
// and with o.Synchronization until the sync controller is available and SecretsStoreSync
// objects are admitted.
func Install(ctx context.Context, s *stack.Stack, o Options) (*Module, error) {
	t0 := time.Now()
	kube, err := s.Clientset()
	if err != nil {
		return nil, err
	}
	m := &Module{s: s, kube: kube, log: o.Log, killed: map[types.UID]bool{}}
	if err := m.removeProcessInstall(ctx); err != nil {
		return nil, err
	}
	values, err := Values(s, o)
	if err != nil {
		return nil, err
	}
	m.values, m.sync = values, o.Synchronization
	if m.images, err = buildImages(ctx, s, values, imageKeys(o.Synchronization)); err != nil {
		return nil, err
	}
	m.logf("images built and imported in %s", time.Since(t0).Round(time.Millisecond))
	objs, err := Render(s.RepoRoot, values)
	if err != nil {
		return nil, err
	}
	if err := applyCRDs(ctx, s); err != nil {
		return nil, err
	}
	if m.webhookReplicas, err = renderedReplicas(objs); err != nil {
		return nil, err
	}
	a, err := newApplier(s)
	if err != nil {
		return nil, err
	}
	// The MutatingWebhookConfiguration goes last, once the webhook is available, as werf
	// deploys it (werf.io/deploy-dependency-webhook): opted-in pods are never refused during
	// the installation.
	early, late := splitWebhookConfiguration(objs)
	if err := a.applyAll(ctx, early); err != nil {
		return nil, err
	}
	if err := m.replaceStalePods(ctx, m.images); err != nil {
		return nil, err
	}
	if err := m.waitWebhook(ctx, 3*time.Minute); err != nil {
		return nil, err
	}
	if err := a.applyAll(ctx, late); err != nil {
		return nil, err
	}
	if err := m.waitCSIPlugin(ctx, 3*time.Minute); err != nil {
		return nil, err
	}
	if err := m.settleSync(ctx, a, values, objs, false); err != nil {
		return nil, err
	}
	m.logf("module installed from the chart in %s", time.Since(t0).Round(time.Millisecond))
	return m, nil
}

// applyCRDs applies every CRD of crds/ (the doc-ru-* files hold translations only). The chart
// has none: in Deckhouse a hook applies crds/.
func applyCRDs(ctx context.Context, s *stack.Stack) error {
	paths, err := filepath.Glob(filepath.Join(s.RepoRoot, "crds", "*.yaml"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), "doc-ru-") {
			continue
		}
		if err := s.ApplyCRD(ctx, p); err != nil {
			return fmt.Errorf("apply CRD %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

func (m *Module) logf(format string, a ...any) {
	if m.log != nil {
		fmt.Fprintf(m.log, "modulechart: "+format+"\n", a...)
	}
}

// removeProcessInstall stops what stack.InstallModule left on this stack (its webhook and
// plugin processes and its webhook configuration), so the two installs never serve at once.
func (m *Module) removeProcessInstall(ctx context.Context) error {
	m.s.StopProcess("webhook")
	m.s.StopProcess("csi-driver")
	err := m.kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, stack.WebhookName, deleteNow)
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete webhook configuration %s of the process install: %w", stack.WebhookName, err)
	}
	return nil
}

// dynamicClient is a dynamic client of the stack's apiserver with the admin credentials.
func dynamicClient(s *stack.Stack) (dynamic.Interface, *kubernetes.Clientset, error) {
	cfg, err := stack.RESTConfig(s.Env.Kubeconfig)
	if err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	return dyn, cs, nil
}
