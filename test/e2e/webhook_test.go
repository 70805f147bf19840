package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	admregv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The injection fixture: the injector image imported into containerd, the webhook running
// as a process on 127.0.0.1 with the stack's serving certificate, and the module's
// MutatingWebhookConfiguration pointing at it by URL (the one local-cluster difference: in a
// real cluster it is a Service).
const (
	injectorImage = "stack.local/injector:e2e"
	webhookName   = "secrets-store-integration-webhook"
	moduleNS      = "d8-secrets-store-integration"
)

var webhookPort int

var webhookFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := storeFixture(); err != nil {
		return err
	}
	if err := stk.BuildGoImage(ctx, injectorImage, "./images/injector", "injector"); err != nil {
		return err
	}
	bin := filepath.Join(stk.Dir, "images", "webhook")
	if err := stack.BuildStatic(ctx, repoRoot, "./images/webhook", bin); err != nil {
		return err
	}
	stk.StopProcess("webhook") // one left by an earlier run on a reused stack
	var err error
	if webhookPort, err = stack.FreePort(); err != nil {
		return err
	}
	if err := startWebhook(ctx, bin); err != nil {
		return err
	}
	return applyWebhookConfiguration(ctx)
})

func startWebhook(ctx context.Context, bin string) error {
	metricsPort, err := stack.FreePort()
	if err != nil {
		return err
	}
	pki := filepath.Join(stk.Dir, "pki")
	err = stk.StartProcess("webhook", nil, bin,
		"--listen", "127.0.0.1:"+strconv.Itoa(webhookPort),
		"--metrics-listen", "127.0.0.1:"+strconv.Itoa(metricsPort),
		"--tls-cert-file", filepath.Join(pki, "localhost.crt"),
		"--tls-key-file", filepath.Join(pki, "localhost.key"),
		"--store-addr", stk.Env.StoreAddr,
		"--store-auth-path", AuthMount,
		"--store-ca-file", stk.Env.CAFile,
		"--injector-image", injectorImage,
		"--registry-ca-file", stk.Env.CAFile,
		"--kubeconfig", stk.Env.Kubeconfig,
	)
	if err != nil {
		return err
	}
	return stack.Poll(ctx, 30*time.Second, func(context.Context) (bool, error) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(webhookPort), time.Second)
		if err != nil {
			return false, nil //nolint:nilerr // not listening yet
		}
		c.Close()
		return true, nil
	})
}

// applyWebhookConfiguration creates the MutatingWebhookConfiguration as the chart does:
// only pods with the role annotation are sent (matchConditions), failurePolicy Fail, the
// module's own namespace excluded.
func applyWebhookConfiguration(ctx context.Context) error {
	ca, err := os.ReadFile(stk.Env.CAFile)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/mutate", webhookPort)
	mwc := &admregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: webhookName},
		Webhooks: []admregv1.MutatingWebhook{{
			Name:                    "pods.secrets-store.deckhouse.io",
			ClientConfig:            admregv1.WebhookClientConfig{URL: &url, CABundle: ca},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             ptr.To(admregv1.SideEffectClassNone),
			FailurePolicy:           ptr.To(admregv1.Fail),
			ReinvocationPolicy:      ptr.To(admregv1.IfNeededReinvocationPolicy),
			TimeoutSeconds:          ptr.To(int32(10)),
			Rules: []admregv1.RuleWithOperations{{
				Operations: []admregv1.OperationType{admregv1.Create},
				Rule:       admregv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}, Scope: ptr.To(admregv1.NamespacedScope)},
			}},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{moduleNS},
			}}},
			MatchConditions: []admregv1.MatchCondition{{
				Name:       "has-role-annotation",
				Expression: `has(object.metadata.annotations) && 'secrets-store.deckhouse.io/role' in object.metadata.annotations`,
			}},
		}},
	}
	_ = kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, webhookName, metav1.DeleteOptions{})
	_, err = kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mwc, metav1.CreateOptions{})
	return err
}

func setupWebhook(t *testing.T) {
	t.Helper()
	if err := webhookFixture(); err != nil {
		t.Fatalf("webhook fixture: %v", err)
	}
}
