// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package stack runs the project's local real cluster: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, containerd 2.x (NRI on) + runc and a kubelet (one
// node), and an OpenBao server, all on 127.0.0.1 with ports chosen free at start, so several
// stacks can run on one machine. Every process is started in its own session, recorded in
// run/<name>.pid and stopped by that PID; nothing is stopped by name.
//
// A stack lives in one directory: pki/ (a throwaway CA and certificates), logs/, run/, data/,
// and stack.json (Env: addresses, files and credentials of the running stack, mode 0600),
// plus stack.env, the same for shells. `make cluster-up` and the e2e harness both use it.
package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Env describes a running stack. It is written to stack.json by Up and read by Load.
type Env struct {
	Dir              string         `json:"dir"`
	Kubeconfig       string         `json:"kubeconfig"`
	APIServer        string         `json:"apiServer"`
	CAFile           string         `json:"caFile"` // the stack CA: signs the apiserver, kubelet and OpenBao certs
	NodeName         string         `json:"nodeName"`
	KubeletDir       string         `json:"kubeletDir"`
	ContainerdSocket string         `json:"containerdSocket"`
	NRISocket        string         `json:"nriSocket"` // containerd's socket for external NRI plugins
	StoreAddr        string         `json:"storeAddr"` // OpenBao, https
	StoreRootToken   string         `json:"storeRootToken"`
	StoreUnsealKey   string         `json:"storeUnsealKey"`
	Kubectl          string         `json:"kubectl"`
	Ports            map[string]int `json:"ports"`
	Postgres         *PG            `json:"postgres,omitempty"` // set once StartPostgres ran
}

// Stack is a stack directory plus the binaries that run in it.
type Stack struct {
	Dir      string
	RepoRoot string // the repository, for programs the stack builds (the pause image)
	Bins     Binaries
	Log      io.Writer // progress lines; nil discards
	Env      Env

	storeNamespace string // see InNamespace
	webhookMetrics string // see WebhookMetricsURL
}

// NodeName is the name of the stack's only node.
const NodeName = "stack-node"

func (s *Stack) logf(format string, a ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, "stack: "+format+"\n", a...)
	}
}

func (s *Stack) envFile() string { return filepath.Join(s.Dir, "stack.json") }

// Load reads the Env of a running stack from dir.
func Load(dir string) (*Stack, error) {
	b, err := os.ReadFile(filepath.Join(dir, "stack.json"))
	if err != nil {
		return nil, fmt.Errorf("read stack state: %w (is the stack up? run `make cluster-up`)", err)
	}
	s := &Stack{Dir: dir, Bins: CachedBinaries()}
	if err := json.Unmarshal(b, &s.Env); err != nil {
		return nil, fmt.Errorf("decode %s: %w", s.envFile(), err)
	}
	return s, nil
}

// Build makes sure every binary is in the cache, building what is missing through
// hack/stack/build.sh (repoRoot is the repository root).
func Build(ctx context.Context, repoRoot string, log io.Writer) error {
	if len(CachedBinaries().missing()) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot, "hack", "stack", "build.sh"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(),
		"STACK_CACHE="+CacheDir(),
		"K8S_VERSION="+KubernetesVersion,
		"K8S_CMDS="+strings.Join(kubernetesCommands, " "),
		"ETCD_VERSION="+EtcdVersion,
		"OPENBAO_VERSION="+OpenBaoVersion,
		"OPENBAO_PSEUDO="+openBaoPseudo,
		"KRP_VERSION="+KubeRBACProxyVersion,
		"CONTAINERD_VERSION="+ContainerdVersion,
		"CONTAINERD_CMDS="+strings.Join(containerdCommands, " "),
	)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build cluster binaries: %w", err)
	}
	if m := CachedBinaries().missing(); len(m) > 0 {
		return fmt.Errorf("build finished but binaries are missing: %s", strings.Join(m, ", "))
	}
	return nil
}

// Up starts a whole stack in s.Dir, which must not hold a running stack. On error the
// components already started keep running so their logs can be read; call Down.
func (s *Stack) Up(ctx context.Context) error {
	if m := s.Bins.missing(); len(m) > 0 {
		return fmt.Errorf("missing binaries %s: run `make cluster-build`", strings.Join(m, ", "))
	}
	for _, d := range []string{"logs", "run", "data"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o700); err != nil {
			return err
		}
	}
	t0 := time.Now()
	if err := s.allocate(ctx); err != nil {
		return err
	}
	if err := s.save(); err != nil {
		return err
	}
	if _, err := newPKI(filepath.Join(s.Dir, "pki"), NodeName); err != nil {
		return fmt.Errorf("create certificates: %w", err)
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"etcd", s.startEtcd},
		{"kube-apiserver", s.startAPIServer},
		{"controllers", s.startControllers},
		{"containerd", s.startContainerd},
		{"kubelet", s.startKubelet},
		{"openbao", s.startOpenBao},
	}
	for _, st := range steps {
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("start %s: %w", st.name, err)
		}
		if err := s.save(); err != nil {
			return err
		}
	}
	s.logf("up in %s: apiserver %s, store %s", time.Since(t0).Round(time.Millisecond), s.Env.APIServer, s.Env.StoreAddr)
	return nil
}

// allocate picks the ports and fills in the static parts of Env.
func (s *Stack) allocate(ctx context.Context) error {
	names := []string{"etcd", "etcd-peer", "apiserver", "controller-manager", "scheduler", "kubelet", "kubelet-healthz"}
	ports, err := freePorts(ctx, len(names))
	if err != nil {
		return err
	}
	bao, err := freePortPair(ctx)
	if err != nil {
		return err
	}
	s.Env = Env{
		Dir:              s.Dir,
		Kubeconfig:       filepath.Join(s.Dir, "admin.kubeconfig"),
		CAFile:           filepath.Join(s.Dir, "pki", "ca.crt"),
		NodeName:         NodeName,
		KubeletDir:       filepath.Join(s.Dir, "data", "kubelet"),
		ContainerdSocket: filepath.Join(s.Dir, "run", "containerd.sock"),
		NRISocket:        filepath.Join(s.Dir, "run", "nri.sock"),
		Kubectl:          s.Bins.Kubectl,
		Ports:            map[string]int{"openbao": bao, "openbao-cluster": bao + 1},
	}
	for i, n := range names {
		s.Env.Ports[n] = ports[i]
	}
	s.Env.APIServer = fmt.Sprintf("https://127.0.0.1:%d", s.Env.Ports["apiserver"])
	s.Env.StoreAddr = fmt.Sprintf("https://127.0.0.1:%d", bao)
	return nil
}

// save writes stack.json and stack.env (mode 0600: they hold the store's root token).
func (s *Stack) save() error {
	b, err := json.MarshalIndent(s.Env, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(s.envFile(), b, 0o600); err != nil {
		return err
	}
	var sh strings.Builder
	fmt.Fprintf(&sh, "export KUBECONFIG=%q\n", s.Env.Kubeconfig)
	fmt.Fprintf(&sh, "export VAULT_ADDR=%q BAO_ADDR=%q\n", s.Env.StoreAddr, s.Env.StoreAddr)
	fmt.Fprintf(&sh, "export VAULT_CACERT=%q BAO_CACERT=%q\n", s.Env.CAFile, s.Env.CAFile)
	fmt.Fprintf(&sh, "export VAULT_TOKEN=%q BAO_TOKEN=%q\n", s.Env.StoreRootToken, s.Env.StoreRootToken)
	fmt.Fprintf(&sh, "export STACK_DIR=%q KUBECTL=%q CONTAINERD_ADDRESS=%q NRI_SOCKET=%q CTR=%q\n",
		s.Dir, s.Env.Kubectl, s.Env.ContainerdSocket, s.Env.NRISocket, s.ctrPath())
	return os.WriteFile(filepath.Join(s.Dir, "stack.env"), []byte(sh.String()), 0o600)
}

// Down stops every component recorded in the stack directory by its PID (pods first, the
// store and etcd last), unmounts what the node left mounted, and with wipe removes the
// directory. It is safe to call on a partly started or already stopped stack.
func (s *Stack) Down(wipe bool) error {
	s.StopPostgres() // before the extras: it needs a fast shutdown, not stop's SIGTERM
	for _, n := range s.extraPIDs() {
		s.stop(n, 5*time.Second)
	}
	s.stop("kubelet", 10*time.Second)
	s.killContainers()
	s.stop("containerd", 10*time.Second)
	s.killShims()
	for _, n := range []string{"kube-scheduler", "kube-controller-manager", "openbao", "kube-apiserver", "etcd"} {
		s.stop(n, 15*time.Second)
	}
	errs := []error{s.unmountAll()}
	if wipe {
		errs = append(errs, os.RemoveAll(s.Dir))
	}
	return errors.Join(errs...)
}

// extraPIDs lists pid files of processes started next to the stack (by tests or the demo)
// in run/, so Down stops them too.
func (s *Stack) extraPIDs() []string {
	known := map[string]bool{
		"etcd": true, "kube-apiserver": true, "kube-controller-manager": true,
		"kube-scheduler": true, "containerd": true, "kubelet": true, "openbao": true,
	}
	files, _ := filepath.Glob(filepath.Join(s.Dir, "run", "*.pid"))
	var out []string
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".pid")
		if !known[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// RunTemporary starts a stack with the cached binaries in a new directory under the
// system's temporary directory (named prefix*), runs f on it, and stops and wipes the stack,
// also when Up or f fails. Progress goes to log.
func RunTemporary(ctx context.Context, repoRoot, prefix string, log io.Writer, f func(*Stack) error) (err error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return err
	}
	s := &Stack{Dir: dir, RepoRoot: repoRoot, Bins: CachedBinaries(), Log: log}
	defer func() {
		s.logf("tearing down the cluster in %s", dir)
		if downErr := s.Down(true); downErr != nil {
			err = errors.Join(err, fmt.Errorf("tear down the cluster in %s: %w", dir, downErr))
		}
	}()
	if err := s.Up(ctx); err != nil {
		return fmt.Errorf("start the cluster: %w", err)
	}
	return f(s)
}
