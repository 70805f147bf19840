// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncctl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"

	"github.com/deckhouse/secrets-store-integration/internal/kubeconfig"
)

// Timing of the leader election: a new leader takes over within about
// leaseDuration of the old one's end; a graceful stop releases the Lease.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
)

// errLostLease ends Run when another replica took the Lease: the process
// exits and starts again as a candidate, with nothing left of the old term.
var errLostLease = errors.New("lost the leader Lease")

// Run runs the controller until ctx ends: the HTTP endpoints at once, the
// reconciles while this replica leads.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	settle()
	rc, err := kubeconfig.Load(cfg.Kubeconfig, "secrets-store-sync-controller")
	if err != nil {
		return err
	}
	// Two budgets of requests: Secrets, tokens and restarts on one, status
	// and events on the other, so that a burst of status writes never holds
	// back the Secrets waiting to be updated.
	kube, err := kubernetes.NewForConfig(withQPS(rc, 200, 300))
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	// The Lease has a client of its own: renewals never wait behind a burst
	// of writes, which would cost the leadership under load.
	leaseKube, err := kubernetes.NewForConfig(withQPS(rc, 5, 10))
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	reports := withQPS(rc, 50, 100)
	dyn, err := dynamic.NewForConfig(reports)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	eventsKube, err := kubernetes.NewForConfig(reports)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	identity := cfg.Identity
	if identity == "" {
		if identity, err = os.Hostname(); err != nil {
			return fmt.Errorf("name of this replica: %w (set --identity)", err)
		}
	}
	watchdog := leaderelection.NewLeaderHealthzAdaptor(20 * time.Second)
	var ready atomic.Bool
	servers, err := serve(ctx, cfg, reg, watchdog, &ready, log)
	if err != nil {
		return err
	}
	defer shutdown(servers...)

	key, err := loadHMACKey(ctx, kube, cfg.Namespace, cfg.HMACKeySecret)
	if err != nil {
		return err
	}
	ready.Store(true)
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: eventsKube.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	recorder := broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "secrets-store-sync-controller"})

	m := newMetrics(reg)
	lead := func(ctx context.Context) {
		m.leader.Set(1)
		log.Info("leading: reconciling SecretsStoreSync resources", "identity", identity)
		if err := runLeader(ctx, cfg, log, kube, dyn, recorder, m, key); err != nil {
			log.Error("controller stopped", "error", err)
		}
	}
	return elect(ctx, cfg, identity, leaseKube, watchdog, lead, log)
}

// runLeader starts the informers and the workers.
func runLeader(ctx context.Context, cfg Config, log *slog.Logger, kube kubernetes.Interface, dyn dynamic.Interface,
	recorder record.EventRecorder, m *metrics, key []byte,
) error {
	syncInformer := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0).ForResource(GroupVersionResource)
	// The caches keep what the controller reads; managedFields are most of
	// an object's size and are never read.
	if err := syncInformer.Informer().SetTransform(stripManagedFields); err != nil {
		return err
	}
	secretFactory := informers.NewSharedInformerFactoryWithOptions(kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = LabelSync }),
		informers.WithTransform(stripManagedFields))
	secretInformer := secretFactory.Core().V1().Secrets()
	c := newControllerWithMetrics(cfg, log, Deps{
		Kube: kube, Dynamic: dyn, Events: recorder, HMACKey: key,
		SyncLister: syncInformer.Lister(), SecretLister: secretInformer.Lister(),
	}, m)
	if _, err := syncInformer.Informer().AddEventHandler(c.SyncHandler()); err != nil {
		return err
	}
	if _, err := secretInformer.Informer().AddEventHandler(c.SecretHandler()); err != nil {
		return err
	}
	go syncInformer.Informer().Run(ctx.Done())
	secretFactory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), syncInformer.Informer().HasSynced, secretInformer.Informer().HasSynced) {
		return ctx.Err()
	}
	log.Info("caches synced", "resources", len(syncInformer.Informer().GetStore().ListKeys()))
	c.Run(ctx)
	secretFactory.Shutdown()
	return nil
}

// elect runs lead while this replica holds the Lease.
func elect(ctx context.Context, cfg Config, identity string, kube kubernetes.Interface,
	watchdog *leaderelection.HealthzAdaptor, lead func(context.Context), log *slog.Logger,
) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.LeaseName},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
	var lost atomic.Bool
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
		ReleaseOnCancel: true, Name: cfg.LeaseName, WatchDog: watchdog,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: lead,
			OnStoppedLeading: func() {
				if ctx.Err() == nil {
					lost.Store(true)
				}
			},
			OnNewLeader: func(id string) {
				if id != identity {
					log.Info("another replica leads", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	watchdog.SetLeaderElection(le)
	le.Run(ctx) // returns when ctx ends or the Lease is lost
	if lost.Load() {
		return errLostLease
	}
	return nil
}

// withQPS is a copy of rc with its own client-side rate limit.
func withQPS(rc *rest.Config, qps float32, burst int) *rest.Config {
	c := rest.CopyConfig(rc)
	c.QPS, c.Burst = qps, burst
	return c
}

// settle makes the garbage collector keep the heap closer to what is live
// (GOGC 50 instead of 100) unless GOGC is set: the caches are most of the
// heap and change slowly, so the extra collections cost little CPU.
func settle() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}

// serve starts /metrics, /healthz (the leader election's watchdog) and
// /readyz (the HMAC key is loaded) on the metrics address, and with a
// health address /healthz and /readyz there as well: kubelet probes that
// one while the metrics address is 127.0.0.1 behind kube-rbac-proxy.
func serve(ctx context.Context, cfg Config, reg *prometheus.Registry, watchdog *leaderelection.HealthzAdaptor, ready *atomic.Bool, log *slog.Logger) ([]*http.Server, error) {
	healthz := func(w http.ResponseWriter, r *http.Request) {
		if err := watchdog.Check(r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}
	readyz := func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", healthz)
	mux.HandleFunc("/readyz", readyz)
	srv, err := listenAndServe(ctx, cfg.MetricsListen, "--metrics-listen", mux, log)
	if err != nil {
		return nil, err
	}
	servers := []*http.Server{srv}
	if cfg.HealthListen != "" {
		health := http.NewServeMux()
		health.HandleFunc("/healthz", healthz)
		health.HandleFunc("/readyz", readyz)
		hs, err := listenAndServe(ctx, cfg.HealthListen, "--health-listen", health, log)
		if err != nil {
			shutdown(servers...)
			return nil, err
		}
		servers = append(servers, hs)
	}
	return servers, nil
}

func listenAndServe(ctx context.Context, addr, flagName string, h http.Handler, log *slog.Logger) (*http.Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, flagName, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "addr", addr, "error", err)
		}
	}()
	return srv, nil
}

func shutdown(servers ...*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		_ = srv.Shutdown(ctx)
	}
}

// stripManagedFields is the informers' transform: managedFields are most of
// an object's size in the cache, and the controller never reads them.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}
