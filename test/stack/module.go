// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	admregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/internal/envcontract"
)

// The module's components run as host processes next to the stack: the webhook on
// 127.0.0.1 reached by URL, and the CSI node plugin registered with the stack's kubelet
// through plugins_registry, as a DaemonSet pod would. The objects the chart renders for
// them (MutatingWebhookConfiguration, CSIDriver, the CRD) are applied with the same fields.
const (
	CSIDriverName = "secrets-store.csi.deckhouse.io"
	InjectorImage = "stack.local/injector:dev"
	WebhookName   = "secrets-store-integration-webhook"
	ModuleNS      = "d8-secrets-store-integration"
)

// ModuleOptions are the module settings of the host-process install.
type ModuleOptions struct {
	AuthMount        string        // store auth path (kubernetes_local)
	RotationInterval time.Duration // CSI rotation interval
}

// InstallModule builds the programs, applies the CRD and CSIDriver, and starts the
// webhook and the CSI plugin.
func (s *Stack) InstallModule(ctx context.Context, o ModuleOptions) error {
	if err := s.BuildGoImage(ctx, InjectorImage, "./images/injector", "injector", "./images/"+envcontract.WatcherBinaryName); err != nil {
		return err
	}
	// The CSI plugin serves the injector and the watcher next to it.
	for _, p := range []string{"webhook", "csi-driver", "injector", envcontract.WatcherBinaryName} {
		if err := BuildStatic(ctx, s.RepoRoot, "./images/"+p, s.moduleBin(p)); err != nil {
			return err
		}
	}
	if err := s.ApplyCRD(ctx, filepath.Join(s.RepoRoot, "crds", "secrets-store-import.yaml")); err != nil {
		return err
	}
	if err := s.applyCSIDriver(ctx); err != nil {
		return err
	}
	if err := s.StartWebhook(ctx, o); err != nil {
		return err
	}
	return s.StartCSIPlugin(ctx, o)
}

func (s *Stack) moduleBin(name string) string { return filepath.Join(s.Dir, "images", name) }

// WebhookMetricsURL is the /metrics address of the webhook process StartWebhook started,
// or "" when it started none.
func (s *Stack) WebhookMetricsURL() string { return s.webhookMetrics }

// StartWebhook (re)starts the webhook process on a free port and points the
// MutatingWebhookConfiguration at it.
func (s *Stack) StartWebhook(ctx context.Context, o ModuleOptions) error {
	s.StopProcess("webhook")
	ports, err := freePorts(ctx, 2)
	if err != nil {
		return err
	}
	err = s.StartProcess("webhook", nil, s.moduleBin("webhook"),
		"--listen", "127.0.0.1:"+strconv.Itoa(ports[0]),
		"--metrics-listen", "127.0.0.1:"+strconv.Itoa(ports[1]),
		"--tls-cert-file", s.pkiFile("localhost.crt"), "--tls-key-file", s.pkiFile("localhost.key"),
		"--store-addr", s.Env.StoreAddr, "--store-auth-path", o.AuthMount, "--store-ca-file", s.Env.CAFile,
		"--injector-image", InjectorImage,
		"--registry-ca-file", s.Env.CAFile,
		"--kubeconfig", s.Env.Kubeconfig,
	)
	if err != nil {
		return err
	}
	s.webhookMetrics = "http://127.0.0.1:" + strconv.Itoa(ports[1]) + "/metrics"
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	d := net.Dialer{Timeout: time.Second}
	if err := s.waitFor(ctx, "webhook", 30*time.Second, func(ctx context.Context) error {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}); err != nil {
		return err
	}
	return s.applyWebhookConfiguration(ctx, "https://"+addr+"/mutate")
}

// StopWebhook stops the webhook process; the configuration stays, as in an outage.
func (s *Stack) StopWebhook() { s.StopProcess("webhook") }

// applyWebhookConfiguration creates the MutatingWebhookConfiguration as the chart does:
// only pods with the role annotation are sent (matchConditions), failurePolicy Fail, the
// module's own namespace excluded.
func (s *Stack) applyWebhookConfiguration(ctx context.Context, url string) error {
	ca, err := os.ReadFile(s.Env.CAFile)
	if err != nil {
		return err
	}
	mwc := &admregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: WebhookName},
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
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{ModuleNS},
			}}},
			MatchConditions: []admregv1.MatchCondition{{
				Name:       "has-role-annotation",
				Expression: `has(object.metadata.annotations) && 'secrets-store.deckhouse.io/role' in object.metadata.annotations`,
			}},
		}},
	}
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	api := cs.AdmissionregistrationV1().MutatingWebhookConfigurations()
	_ = api.Delete(ctx, WebhookName, metav1.DeleteOptions{})
	_, err = api.Create(ctx, mwc, metav1.CreateOptions{})
	return err
}

// StartCSIPlugin (re)starts the CSI node plugin and waits until the kubelet lists it in
// CSINode.
func (s *Stack) StartCSIPlugin(ctx context.Context, o ModuleOptions) error {
	s.StopProcess("csi-driver")
	ports, err := freePorts(ctx, 1)
	if err != nil {
		return err
	}
	health := ports[0]
	plugDir := filepath.Join(s.Env.KubeletDir, "plugins", CSIDriverName)
	if err := os.MkdirAll(plugDir, 0o750); err != nil {
		return err
	}
	err = s.StartProcess("csi-driver", nil, s.moduleBin("csi-driver"),
		"--endpoint", filepath.Join(plugDir, "csi.sock"),
		"--kubelet-dir", s.Env.KubeletDir,
		"--node-name", s.Env.NodeName,
		"--rotation-interval", o.RotationInterval.String(),
		"--state-dir", filepath.Join(plugDir, "state"),
		"--store-addr", s.Env.StoreAddr, "--store-auth-path", o.AuthMount, "--store-ca-file", s.Env.CAFile,
		"--health-listen", "127.0.0.1:"+strconv.Itoa(health),
		// The injector volumes show the injector the image of the webhook's init containers holds.
		"--injector-file", s.moduleBin("injector"),
		// The NRI plugin of env-delivery NRI, on containerd's socket for external plugins.
		"--nri-socket", s.Env.NRISocket,
		"--kubeconfig", s.Env.Kubeconfig,
		"--log-level", "debug",
	)
	if err != nil {
		return err
	}
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	return s.waitFor(ctx, "csi-driver", time.Minute, func(ctx context.Context) error {
		n, err := cs.StorageV1().CSINodes().Get(ctx, s.Env.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, d := range n.Spec.Drivers {
			if d.Name == CSIDriverName {
				return nil
			}
		}
		return fmt.Errorf("kubelet has not registered %s yet", CSIDriverName)
	})
}

func (s *Stack) applyCSIDriver(ctx context.Context) error {
	d := &storagev1.CSIDriver{
		ObjectMeta: metav1.ObjectMeta{Name: CSIDriverName},
		Spec: storagev1.CSIDriverSpec{
			AttachRequired:       ptr.To(false),
			PodInfoOnMount:       ptr.To(true),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral},
			TokenRequests:        []storagev1.TokenRequest{{Audience: ""}},
			RequiresRepublish:    ptr.To(true),
			FSGroupPolicy:        ptr.To(storagev1.FileFSGroupPolicy),
		},
	}
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	_, err = cs.StorageV1().CSIDrivers().Create(ctx, d, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// ApplyCRD creates the CustomResourceDefinition in path and waits until it is established.
func (s *Stack) ApplyCRD(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	cfg, err := RESTConfig(s.Env.Kubeconfig)
	if err != nil {
		return err
	}
	cs, err := apiext.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds := cs.ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create CRD %s: %w", crd.Name, err)
	}
	return Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		got, err := crds.Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// SSIFile is one entry of a SecretsStoreImport's spec.files.
type SSIFile struct {
	Name, Path, Key string
	DecodeBase64    bool
	Version         int // a KV version 2 version; 0 leaves source.version out
	Mode            int // permission bits, such as 0o444; 0 leaves mode out
	// Write, when not nil, is source.write: the body of a write whose answer holds Key.
	Write map[string]any
}

// SSIFilesFrom is one entry of spec.filesFrom of a SecretsStoreImport.
type SSIFilesFrom struct {
	Path  string
	Mode  int            // permission bits; 0 leaves mode out
	Write map[string]any // source.write; nil leaves it out
}

// ApplySSI creates (or replaces) a SecretsStoreImport of type CSI.
func (s *Stack) ApplySSI(ctx context.Context, ns, name, role string, files ...SSIFile) error {
	return s.ApplySSIFrom(ctx, ns, name, role, nil, files...)
}

// ApplySSIFrom creates (or replaces) a SecretsStoreImport of type CSI with spec.filesFrom.
func (s *Stack) ApplySSIFrom(ctx context.Context, ns, name, role string, from []SSIFilesFrom, files ...SSIFile) error {
	fs := make([]any, 0, len(files))
	for _, f := range files {
		source := map[string]any{"path": f.Path, "key": f.Key}
		if f.Version > 0 {
			source["version"] = int64(f.Version)
		}
		if f.Write != nil {
			source["write"] = f.Write
		}
		file := map[string]any{
			"name": f.Name, "decodeBase64": f.DecodeBase64,
			"source": source,
		}
		if f.Mode != 0 {
			file["mode"] = int64(f.Mode)
		}
		fs = append(fs, file)
	}
	spec := map[string]any{"type": "CSI", "role": role}
	if len(fs) > 0 {
		spec["files"] = fs
	}
	if len(from) > 0 {
		ff := make([]any, 0, len(from))
		for _, f := range from {
			source := map[string]any{"path": f.Path}
			if f.Write != nil {
				source["write"] = f.Write
			}
			e := map[string]any{"source": source}
			if f.Mode != 0 {
				e["mode"] = int64(f.Mode)
			}
			ff = append(ff, e)
		}
		spec["filesFrom"] = ff
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "deckhouse.io/v1alpha1",
		"kind":       "SecretsStoreImport",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       spec,
	}}
	cfg, err := RESTConfig(s.Env.Kubeconfig)
	if err != nil {
		return err
	}
	d, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	r := d.Resource(schema.GroupVersionResource{Group: "deckhouse.io", Version: "v1alpha1", Resource: "secretsstoreimports"}).Namespace(ns)
	_ = r.Delete(ctx, name, metav1.DeleteOptions{})
	_, err = r.Create(ctx, u, metav1.CreateOptions{})
	return err
}

// CSIPod is HostPod with the seed's inline CSI volume (secretsStoreImport: ssiName) at
// /mnt/secrets.
func CSIPod(ns, name, serviceAccount, ssiName string, command ...string) *corev1.Pod {
	pod := HostPod(ns, name, serviceAccount, BusyboxImage, command...)
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "secrets", MountPath: "/mnt/secrets"}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "secrets", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
		Driver:           CSIDriverName,
		VolumeAttributes: map[string]string{"secretsStoreImport": ssiName},
	}}}}
	return pod
}
