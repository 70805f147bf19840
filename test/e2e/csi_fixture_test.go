package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiext "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/deckhouse/secrets-store-integration/internal/ssi"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The CSI fixture: the SecretsStoreImport CRD from crds/, the CSIDriver object as the chart
// renders it, and the node plugin running on the host against the stack's kubelet directory
// (it registers itself through plugins_registry, as in a DaemonSet pod).
const (
	csiDriverName = "secrets-store.csi.deckhouse.io"
	// csiRotation is the rotation interval in e2e: short, so a change shows within seconds.
	csiRotation = 5 * time.Second
)

var dyn dynamic.Interface

var csiFixture = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := seedFixture(); err != nil {
		return err
	}
	if err := storeFixture(); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
	if err != nil {
		return err
	}
	if dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	if err := applyCRD(ctx, filepath.Join(repoRoot, "crds", "secrets-store-import.yaml")); err != nil {
		return err
	}
	if err := applyCSIDriver(ctx); err != nil {
		return err
	}
	return startCSIPlugin(ctx)
})

func applyCRD(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var crd apiextv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", stk.Env.Kubeconfig)
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
	return stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
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

func applyCSIDriver(ctx context.Context) error {
	d := &storagev1.CSIDriver{
		ObjectMeta: metav1.ObjectMeta{Name: csiDriverName},
		Spec: storagev1.CSIDriverSpec{
			AttachRequired:       ptr.To(false),
			PodInfoOnMount:       ptr.To(true),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral},
			TokenRequests:        []storagev1.TokenRequest{{Audience: ""}},
			RequiresRepublish:    ptr.To(true),
			FSGroupPolicy:        ptr.To(storagev1.FileFSGroupPolicy),
		},
	}
	_, err := kube.StorageV1().CSIDrivers().Create(ctx, d, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func startCSIPlugin(ctx context.Context) error {
	bin := filepath.Join(stk.Dir, "images", "csi-driver")
	if err := stack.BuildStatic(ctx, repoRoot, "./images/csi-driver", bin); err != nil {
		return err
	}
	return runCSIPlugin(ctx, bin)
}

// runCSIPlugin (re)starts the plugin process and waits until the kubelet lists it in CSINode.
func runCSIPlugin(ctx context.Context, bin string) error {
	stk.StopProcess("csi-driver")
	health, err := stack.FreePort()
	if err != nil {
		return err
	}
	plugDir := filepath.Join(stk.Env.KubeletDir, "plugins", csiDriverName)
	if err := os.MkdirAll(plugDir, 0o750); err != nil {
		return err
	}
	err = stk.StartProcess("csi-driver", nil, bin,
		"--endpoint", filepath.Join(plugDir, "csi.sock"),
		"--kubelet-dir", stk.Env.KubeletDir,
		"--node-name", stk.Env.NodeName,
		"--rotation-interval", csiRotation.String(),
		"--state-dir", filepath.Join(plugDir, "state"),
		"--store-addr", stk.Env.StoreAddr,
		"--store-auth-path", AuthMount,
		"--store-ca-file", stk.Env.CAFile,
		"--health-listen", "127.0.0.1:"+strconv.Itoa(health),
		"--kubeconfig", stk.Env.Kubeconfig,
		"--log-level", "debug",
	)
	if err != nil {
		return err
	}
	return stack.Poll(ctx, time.Minute, func(ctx context.Context) (bool, error) {
		n, err := kube.StorageV1().CSINodes().Get(ctx, stk.Env.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // the kubelet creates it
		}
		for _, d := range n.Spec.Drivers {
			if d.Name == csiDriverName {
				return true, nil
			}
		}
		return false, nil
	})
}

// ssiFile is one entry of spec.files.
type ssiFile struct {
	name, path, key string
	decodeBase64    bool
}

// applySSI creates or replaces a SecretsStoreImport.
func applySSI(ctx context.Context, ns, name, role string, files ...ssiFile) error {
	fs := make([]any, 0, len(files))
	for _, f := range files {
		fs = append(fs, map[string]any{"name": f.name, "decodeBase64": f.decodeBase64,
			"source": map[string]any{"path": f.path, "key": f.key}})
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": ssi.Group + "/" + ssi.Version,
		"kind":       "SecretsStoreImport",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"type": "CSI", "role": role, "files": fs},
	}}
	r := dyn.Resource(ssi.GroupVersionResource).Namespace(ns)
	_ = r.Delete(ctx, name, metav1.DeleteOptions{})
	_, err := r.Create(ctx, u, metav1.CreateOptions{})
	return err
}

// csiPod is a busybox pod of myapp-sa with the seed's inline CSI volume at /mnt/secrets.
func csiPod(name, ssiName string, command ...string) *corev1.Pod {
	pod := stack.HostPod(seedNS, name, seedSA, stack.BusyboxImage, command...)
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "secrets", MountPath: "/mnt/secrets"}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "secrets", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
		Driver:           csiDriverName,
		VolumeAttributes: map[string]string{"secretsStoreImport": ssiName},
	}}}}
	return pod
}
