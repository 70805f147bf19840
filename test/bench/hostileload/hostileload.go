// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package hostileload measures the webhook's memory while pods that name a hostile registry
// are admitted, on a local real cluster. Pods whose containers have no command make the
// webhook look their images up; here every container names another image on a registry
// that answers each manifest request with a large body sent slowly. The same number of
// benign opted-in pods (with a command, so no lookup) is created at the same moment: they
// must all be admitted while the hostile ones are refused. The webhook runs as a host
// process, so its resident memory is read from /proc while the pods are created.
package hostileload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/bench/benchstack"
	"github.com/deckhouse/secrets-store-integration/test/bench/procmem"
	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Parameters of the measurement.
const (
	// Pods is the number of hostile pods, and of benign pods, created at once.
	Pods = 50
	// ImagesPerPod is how many containers, each naming its own image, a hostile pod has.
	ImagesPerPod = 8
	// ManifestBytes is the size of every manifest the hostile registry serves.
	ManifestBytes = 8 << 20
	// WebhookLimitMiB is the webhook container's memory limit in the chart.
	WebhookLimitMiB = 192

	namespace  = "hostile-load"
	account    = "app"
	role       = "app-role"
	noSchedule = "hostile-load-no-scheduler"
	runTimeout = 10 * time.Minute
)

// Result holds the figures of one run.
type Result struct {
	Pods, ImagesPerPod, ManifestBytes int
	// PeakRSSMiB is the largest resident set of the webhook sampled during the burst;
	// BaseRSSMiB the one just before it.
	PeakRSSMiB, BaseRSSMiB float64
	// BenignAdmitted counts benign pods admitted with the injector; HostileRefused the
	// hostile pods refused; HostileAdmitted those admitted (never expected).
	BenignAdmitted, HostileRefused, HostileAdmitted int
	// RegistryRequests is every request the hostile registry received; RegistryMaxInFlight
	// the most it served at once.
	RegistryRequests, RegistryMaxInFlight int64
	// Refusal is the first line of one hostile pod's refusal, as its author reads it.
	Refusal string
	// Wall is the time from the first Create to the last answer.
	Wall time.Duration
}

// Run brings up a stack in a temporary directory with the webhook running as a host
// process, runs the measurement and tears the stack down, also on error.
func Run(ctx context.Context, repoRoot string, log io.Writer) (res Result, err error) {
	o := benchstack.Options{Name: "hostileload", Timeout: runTimeout, QPS: 20 * Pods, Namespace: namespace, Account: account}
	err = benchstack.Run(ctx, repoRoot, log, o, func(ctx context.Context, e benchstack.Env) error {
		return measure(ctx, e.Stack, e.Kube, &res, e.Logf)
	})
	return res, err
}

func measure(ctx context.Context, s *stack.Stack, kube kubernetes.Interface, res *Result, logf func(string, ...any)) error {
	pid, ok := s.PID("webhook")
	if !ok {
		return errors.New("the webhook process has no recorded PID")
	}
	// The stack's localhost certificate is signed by the CA the webhook trusts for
	// registries (--registry-ca-file), so the hostile registry is a trusted HTTPS one.
	reg, err := startHostileRegistry(ctx, filepath.Join(s.Dir, "pki", "localhost.crt"), filepath.Join(s.Dir, "pki", "localhost.key"), ManifestBytes)
	if err != nil {
		return err
	}
	defer reg.close()
	res.Pods, res.ImagesPerPod, res.ManifestBytes = Pods, ImagesPerPod, ManifestBytes
	base, err := procmem.Read(pid)
	if err != nil {
		return err
	}
	res.BaseRSSMiB = procmem.MiB(base.RSS)
	sampler := procmem.Start(pid)
	burst(ctx, kube, reg.addr, res)
	res.PeakRSSMiB = procmem.MiB(sampler.Stop().RSS)
	res.RegistryRequests, res.RegistryMaxInFlight = reg.total.Load(), reg.maxSeen.Load()
	logf("webhook RSS %.1f MiB before, %.1f MiB peak; benign admitted %d/%d; hostile refused %d/%d; registry saw %d requests, %d at once",
		res.BaseRSSMiB, res.PeakRSSMiB, res.BenignAdmitted, Pods, res.HostileRefused, Pods, res.RegistryRequests, res.RegistryMaxInFlight)
	return kube.CoreV1().Pods(namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}, metav1.ListOptions{})
}

// burst creates the hostile and the benign pods at the same moment.
func burst(ctx context.Context, kube kubernetes.Interface, registry string, res *Result) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	create := func(pod *corev1.Pod, hostile bool) {
		defer wg.Done()
		<-start
		got, err := kube.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case hostile && err != nil:
			res.HostileRefused++
			if res.Refusal == "" {
				// The first container's part: the others say the same of their images.
				res.Refusal, _, _ = strings.Cut(err.Error(), "\n")
			}
		case hostile:
			res.HostileAdmitted++
		case err == nil && stack.Injected(got):
			res.BenignAdmitted++
		}
	}
	for i := range Pods {
		wg.Add(2)
		go create(hostilePod(i, registry), true)
		go create(benignPod(i), false)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.Wall = time.Since(t0)
}

func hostilePod(i int, registry string) *corev1.Pod {
	pod := basePod(fmt.Sprintf("hostile-%03d", i))
	pod.Spec.Containers = nil
	for j := range ImagesPerPod {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
			Name:  fmt.Sprintf("c%d", j),
			Image: fmt.Sprintf("%s/hostile/p%03d-c%d:v1", registry, i, j),
			Env:   []corev1.EnvVar{{Name: "DB_PASS", Value: "secrets-store:kv/data/app#DB_PASS"}},
		})
	}
	return pod
}

func benignPod(i int) *corev1.Pod {
	return basePod(fmt.Sprintf("benign-%03d", i))
}

func basePod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   namespace,
			Annotations: map[string]string{"secrets-store.deckhouse.io/role": role},
		},
		Spec: corev1.PodSpec{
			ServiceAccountName: account,
			SchedulerName:      noSchedule,
			Containers: []corev1.Container{{
				Name: "app", Image: stack.BusyboxImage, Command: []string{"sh", "-c", "env"},
				Env: []corev1.EnvVar{{Name: "DB_PASS", Value: "secrets-store:kv/data/app#DB_PASS"}},
			}},
		},
	}
}
