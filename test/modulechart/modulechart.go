// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package modulechart installs the module on the local real cluster (test/stack) from its Helm
// chart, as Deckhouse would: the three images are built from the repository and imported into
// the node's containerd, the chart is rendered with the values Deckhouse passes plus the local
// overlay (test/chart/local_values.yaml) filled in with the running stack, and every rendered
// object is server-side applied. The webhook and the CSI node plugin then run as the chart's
// Deployment and DaemonSet pods.
//
// Install is idempotent: on a stack where the module runs already it applies the new render
// and replaces the pods that still run an image older than the one just built.
package modulechart

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Names the chart gives the module's objects (templates/_helpers.tpl and the templates).
const (
	Namespace   = "d8-secrets-store-integration"
	ReleaseName = "secrets-store-integration"
	DriverName  = "secrets-store.csi.deckhouse.io"

	webhookDeployment = "webhook"
	csiDaemonSet      = "csi-driver"
	webhookSelector   = "app=webhook"
	csiSelector       = "app=csi-driver"
)

// FieldManager owns the fields Install applies.
const FieldManager = "secrets-store-integration-e2e"

// Options are the module settings of the install.
type Options struct {
	AuthMount        string        // store auth path (connection.authPath)
	RotationInterval time.Duration // rotationInterval; below the schema's 30 s minimum is fine here
	TokenAudience    string        // tokenAudience; "" is the API server's audience
	Log              io.Writer     // progress lines; nil discards
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
}

// Install builds and imports the images, applies the CRD, renders the chart for the stack and
// applies it, and waits until the webhook serves and the kubelet has registered the CSI driver.
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
	m.values = values
	images, err := buildImages(ctx, s, values)
	if err != nil {
		return nil, err
	}
	m.logf("images built and imported in %s", time.Since(t0).Round(time.Millisecond))
	objs, err := Render(s.RepoRoot, values)
	if err != nil {
		return nil, err
	}
	// The chart has no CRDs: in Deckhouse a hook applies crds/.
	if err := s.ApplyCRD(ctx, filepath.Join(s.RepoRoot, "crds", "secrets-store-import.yaml")); err != nil {
		return nil, fmt.Errorf("apply CRD: %w", err)
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
	if err := m.replaceStalePods(ctx, images); err != nil {
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
	m.logf("module installed from the chart in %s", time.Since(t0).Round(time.Millisecond))
	return m, nil
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
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Env.Kubeconfig)
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
