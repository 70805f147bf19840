// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The store and cluster objects of the measurement: a KV v2 mount with one secret per
// path, one ServiceAccount and one role per identity, the namespace of the resources and
// the controller's own namespace (its Lease and HMAC key).
const (
	authMount      = "kubernetes_local"
	kvMount        = "sync-scale-kv"
	policyName     = "sync-scale-read"
	namespace      = "sync-scale"
	ownNamespace   = "sync-scale-controller"
	controllerName = "sync-controller"
	// valueKey is the key of every store secret and of every Secret.
	valueKey = "value"
	// clientQPS is the measurement's own client: the Creates and the watches, never the
	// bottleneck.
	clientQPS = 200
)

func accountName(i int) string { return fmt.Sprintf("app-%02d", i%Identities) }
func roleName(i int) string    { return fmt.Sprintf("sync-%02d", i%Identities) }
func secretName(i int) string  { return fmt.Sprintf("p-%02d", i%Identities) }
func storePath(i int) string   { return kvMount + "/data/" + secretName(i) }
func resourceName(i int) string {
	return fmt.Sprintf("s-%04d", i)
}

// storeValue is what the path of identity p holds in the given round (1 at first, 2 after
// the change). Not a secret: a marker the watch compares.
func storeValue(p, round int) string { return fmt.Sprintf("round-%d-path-%02d", round, p) }

// bench is one run: the stack, the clients and the controller's addresses.
type bench struct {
	stk        *stack.Stack
	log        io.Writer
	repo       string
	kube       kubernetes.Interface
	dyn        dynamic.Interface
	metricsURL string
	pid        int
	started    time.Time
}

// prepare sets up the store (kubernetes auth, a KV v2 mount, the paths, a policy and a role
// per identity), the cluster (the CRD, the namespaces, the ServiceAccounts) and the
// measurement's clients.
func (b *bench) prepare(ctx context.Context) error {
	b.logf("preparing the store and the cluster")
	s := b.stk
	cfg, err := stack.RESTConfig(s.Env.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = clientQPS, clientQPS
	if b.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	if b.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	steps := []func() error{
		func() error { return s.EnableKubernetesAuth(ctx, authMount) },
		func() error { return s.EnableKV(ctx, kvMount, 2) },
		func() error { return s.WritePolicy(ctx, policyName, stack.ReadPolicy(kvMount+"/data/*")) },
		func() error { return s.ApplyCRD(ctx, filepath.Join(b.repo, "crds", "secrets-store-sync.yaml")) },
		func() error { return stack.EnsureNamespace(ctx, b.kube, ownNamespace) },
	}
	for p := range Identities {
		steps = append(steps,
			func() error {
				_, err := s.PutKV2(ctx, kvMount, secretName(p), map[string]any{valueKey: storeValue(p, 1)})
				return err
			},
			func() error { return stack.EnsureServiceAccount(ctx, b.kube, namespace, accountName(p)) },
			func() error {
				return s.WriteRole(ctx, authMount, roleName(p), namespace, accountName(p), TokenTTL.String(), policyName)
			})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("prepare the store and the cluster: %w", err)
		}
	}
	return nil
}

// startController builds the controller and starts it as its Deployment would run it
// (GOMEMLIMIT as there), with the stack's kubeconfig and store, and waits until it leads.
func (b *bench) startController(ctx context.Context) error {
	bin := filepath.Join(b.stk.Dir, "bin", controllerName)
	if err := os.MkdirAll(filepath.Dir(bin), 0o750); err != nil {
		return err
	}
	b.logf("building the controller")
	if err := stack.BuildStatic(ctx, b.repo, "./images/sync-controller", bin); err != nil {
		return err
	}
	port, err := stack.FreePort()
	if err != nil {
		return err
	}
	env := b.stk.Env
	b.started = time.Now()
	err = b.stk.StartProcess(controllerName, []string{"GOMEMLIMIT=100MiB"}, bin,
		"--kubeconfig="+env.Kubeconfig,
		"--metrics-listen=127.0.0.1:"+strconv.Itoa(port),
		"--store-addr="+env.StoreAddr,
		"--store-ca-file="+env.CAFile,
		"--store-auth-path="+authMount,
		"--refresh-interval="+Interval.String(),
		"--leader-election-namespace="+ownNamespace,
		"--identity=bench",
	)
	if err != nil {
		return err
	}
	pid, ok := b.stk.PID(controllerName)
	if !ok {
		return fmt.Errorf("the controller's pid is not recorded in %s", filepath.Join(b.stk.Dir, "run"))
	}
	b.pid, b.metricsURL = pid, "http://127.0.0.1:"+strconv.Itoa(port)+"/metrics"
	err = stack.Poll(ctx, 2*time.Minute, func(ctx context.Context) (bool, error) {
		if err := b.alive(); err != nil {
			return false, err
		}
		m, err := b.controllerMetrics(ctx)
		return err == nil && m.leader, nil
	})
	if err != nil {
		return fmt.Errorf("the controller does not lead: %w", err)
	}
	b.logf("controller leading (pid %d)", b.pid)
	return nil
}

// alive reports the controller's exit, naming its log.
func (b *bench) alive() error {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", b.pid)); err != nil {
		return fmt.Errorf("the controller exited; see %s", b.logFile())
	}
	return nil
}

func (b *bench) logFile() string { return filepath.Join(b.stk.Dir, "logs", controllerName+".log") }

// stopController stops the controller by its recorded PID and summarizes its log.
func (b *bench) stopController() {
	b.stk.StopProcess(controllerName)
	b.summarizeLog()
}

// summarizeLog prints the summary of the controller's log; the log holds names and
// reasons, never values.
func (b *bench) summarizeLog() {
	f, err := os.Open(b.logFile())
	if err != nil {
		b.logf("controller log unavailable: %v", err)
		return
	}
	defer f.Close()
	sum := summarize(f)
	b.logf("controller log: %d lines; warnings and errors: %v", sum.lines, sum.bad)
	for _, l := range sum.examples {
		b.logf("controller log: %s", l)
	}
}

// logSummary is the controller's log in short: its lines, its warnings and errors by
// message and reason, and up to maxExamples lines: the first of each kind of warning or
// error and lines that are not JSON (a library that bypasses slog, or a panic), each cut
// to 300 bytes.
type logSummary struct {
	lines    int
	bad      map[string]int
	examples []string
}

const maxExamples = 12

func summarize(r io.Reader) logSummary {
	s := logSummary{bad: map[string]int{}}
	example := func(line []byte) {
		if len(s.examples) < maxExamples {
			s.examples = append(s.examples, string(line[:min(len(line), 300)]))
		}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.lines++
		var e struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			s.bad["(not a JSON line)"]++
			example(sc.Bytes())
			continue
		}
		if e.Level != "WARN" && e.Level != "ERROR" {
			continue
		}
		k := e.Level + " " + e.Msg
		if e.Reason != "" {
			k += " (" + e.Reason + ")"
		}
		if s.bad[k]++; s.bad[k] == 1 {
			example(sc.Bytes())
		}
	}
	return s
}

// get reads url with a bound.
func get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, nil
}
