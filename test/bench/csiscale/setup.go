// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csiscale

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The store and cluster objects of the measurement: one ServiceAccount, one role, one
// SecretsStoreImport whose two files come from one path, and one SecretsStoreImport per
// warm sample, each reading a path of its own.
const (
	authMount      = "kubernetes_local"
	kvMount        = "scale-kv"
	secretName     = "app"
	policyName     = "scale-read"
	roleName       = "scale-role"
	namespace      = "csi-scale"
	serviceAccount = "app"
	ssiName        = "app-secrets"
	driverName     = stack.CSIDriverName
	// The lease phase: database credentials from the database engine, backed
	// by the stack's PostgreSQL.
	leaseDB     = "scale-db"
	leaseDBRole = "app"
	leaseSSI    = "app-db"
)

// secretPath is the path of the shared secret as a SecretsStoreImport names it.
var secretPath = kvMount + "/data/" + secretName

func warmName(i int) string { return fmt.Sprintf("warm-%02d", i) }

// enableAudit turns on a file audit device writing to data/audit.log in the stack
// directory. OpenBao 2.4 refuses audit devices created through the API unless its
// configuration allows it; the device is then declared in the server configuration and
// the store restarted (its data stays) and unsealed.
func (b *bench) enableAudit(ctx context.Context) (string, error) {
	b.auditLog = filepath.Join(b.stk.Dir, "data", "audit.log")
	apiErr := b.stk.StoreAPI(ctx, http.MethodPut, "sys/audit/file", map[string]any{
		"type": "file", "options": map[string]string{"file_path": b.auditLog},
	}, nil)
	if apiErr == nil {
		return "api", b.waitAuditLog(ctx)
	}
	b.logf("the store refused an audit device through the API (%v); declaring it in the configuration", apiErr)
	cfg := filepath.Join(b.stk.Dir, "data", "openbao.hcl")
	stanza := fmt.Sprintf("\naudit \"file\" \"bench\" {\n  options {\n    file_path = %q\n  }\n}\n", b.auditLog)
	if err := appendFile(cfg, stanza); err != nil {
		return "", fmt.Errorf("declare the audit device: %w", err)
	}
	b.stk.StopStore()
	if err := b.stk.StartStore(ctx, cfg); err != nil {
		return "", fmt.Errorf("restart the store with an audit device: %w", err)
	}
	if err := b.stk.Unseal(ctx); err != nil {
		return "", fmt.Errorf("restart the store with an audit device: %w", err)
	}
	return "config", b.waitAuditLog(ctx)
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0) //nolint:gosec // G304: the store's configuration in the stack directory
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// waitAuditLog makes an audited request until the audit log holds it.
func (b *bench) waitAuditLog(ctx context.Context) error {
	err := stack.Poll(ctx, 30*time.Second, func(ctx context.Context) (bool, error) {
		// The store may still be starting its devices: a refused request is retried.
		if b.stk.StoreAPI(ctx, http.MethodGet, "sys/audit", nil, nil) != nil {
			return false, nil
		}
		st, err := os.Stat(b.auditLog)
		return err == nil && st.Size() > 0, nil
	})
	if err != nil {
		return fmt.Errorf("the store's audit log %s stays empty: %w", b.auditLog, err)
	}
	return nil
}

// prepare sets up the store (kubernetes auth, a KV v2 mount, the secrets, a policy and a
// role) and the cluster (the ServiceAccount, the CRD and the SecretsStoreImports).
func (b *bench) prepare(ctx context.Context) error {
	b.logf("preparing the store and the cluster")
	s := b.stk
	cs, err := s.Clientset()
	if err != nil {
		return err
	}
	steps := []func() error{
		func() error { return s.EnableKubernetesAuth(ctx, authMount) },
		func() error { return s.EnableKV(ctx, kvMount, 2) },
		func() error {
			_, err := s.PutKV2(ctx, kvMount, secretName, map[string]any{"username": "app", "password": "scale-password"})
			return err
		},
		func() error {
			pg, err := s.StartPostgres(ctx)
			if err != nil {
				return err
			}
			return s.EnableDatabase(ctx, leaseDB, pg, leaseDBRole, LeaseTTL.String(), "1h")
		},
		func() error {
			return s.WritePolicy(ctx, policyName, stack.ReadPolicy(kvMount+"/data/*", leaseDB+"/creds/"+leaseDBRole))
		},
		func() error {
			return s.WriteRole(ctx, authMount, roleName, namespace, serviceAccount, "10m", policyName)
		},
		func() error { return stack.EnsureServiceAccount(ctx, cs, namespace, serviceAccount) },
		func() error { return s.ApplyCRD(ctx, filepath.Join(b.repo, "crds", "secrets-store-import.yaml")) },
		func() error {
			return s.ApplySSI(ctx, namespace, ssiName, roleName,
				stack.SSIFile{Name: "username", Path: secretPath, Key: "username"},
				stack.SSIFile{Name: "password", Path: secretPath, Key: "password"})
		},
		func() error {
			creds := leaseDB + "/creds/" + leaseDBRole
			return s.ApplySSI(ctx, namespace, leaseSSI, roleName,
				stack.SSIFile{Name: "username", Path: creds, Key: "username"},
				stack.SSIFile{Name: "password", Path: creds, Key: "password"})
		},
	}
	for i := range WarmSamples {
		name := warmName(i)
		steps = append(steps,
			func() error {
				_, err := s.PutKV2(ctx, kvMount, name, map[string]any{"value": name})
				return err
			},
			func() error {
				return s.ApplySSI(ctx, namespace, name, roleName, stack.SSIFile{Name: "value", Path: kvMount + "/data/" + name, Key: "value"})
			})
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("prepare the store and the cluster: %w", err)
		}
	}
	return nil
}

// startPlugin builds the plugin, starts it with a kubelet directory of its own and
// connects to its CSI socket as kubelet.
func (b *bench) startPlugin(ctx context.Context) (*kubelet, error) {
	bin := filepath.Join(b.stk.Dir, "bin", "csi-driver")
	b.logf("building the csi plugin")
	if err := stack.BuildStatic(ctx, b.repo, "./images/csi-driver", bin); err != nil {
		return nil, err
	}
	root := filepath.Join(b.stk.Dir, "bench-kubelet")
	plugDir := filepath.Join(root, "plugins", driverName)
	for _, d := range []string{filepath.Join(root, "pods"), filepath.Join(root, "plugins_registry"), plugDir} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	port, err := stack.FreePort()
	if err != nil {
		return nil, err
	}
	endpoint := filepath.Join(plugDir, "csi.sock")
	env := b.stk.Env
	err = b.stk.StartProcess("csi-driver", nil, bin,
		"--endpoint", endpoint,
		"--kubelet-dir", root,
		"--node-name", env.NodeName,
		"--rotation-interval", RotationInterval.String(),
		"--state-dir", filepath.Join(plugDir, "state"),
		// Outside the kubelet directory, whose mounts stopPlugin counts: the plugin keeps
		// its staging directory a private bind mount of itself for as long as the node runs.
		"--staging-dir", b.stagingDir(),
		"--store-addr", env.StoreAddr, "--store-ca-file", env.CAFile, "--store-auth-path", authMount,
		"--health-listen", "127.0.0.1:"+strconv.Itoa(port),
		"--kubeconfig", env.Kubeconfig,
		"--log-level", "info",
	)
	if err != nil {
		return nil, err
	}
	b.metricsURL = "http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"
	if b.pid, err = readPID(filepath.Join(b.stk.Dir, "run", "csi-driver.pid")); err != nil {
		return nil, err
	}
	k, err := dialKubelet(ctx, root, endpoint, b.pluginAlive)
	if err != nil {
		return nil, err
	}
	b.logf("csi plugin serving (pid %d); VOLUME_MOUNT_GROUP advertised: %t", b.pid, k.mountGroup != "")
	return k, nil
}

func readPID(path string) (int, error) {
	raw, err := os.ReadFile(path) //nolint:gosec // G304: a pid file in the stack directory
	if err != nil {
		return 0, fmt.Errorf("read the plugin's pid: %w", err)
	}
	return strconv.Atoi(strings.TrimSpace(string(raw)))
}

// pluginAlive reports the plugin's exit, naming its log.
func (b *bench) pluginAlive() error {
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", b.pid)); err != nil {
		return fmt.Errorf("the csi plugin exited; see %s", filepath.Join(b.stk.Dir, "logs", "csi-driver.log"))
	}
	return nil
}

// stopPlugin unpublishes every volume still published, checks that no tmpfs is left under
// the plugin's kubelet directory, removes that directory and stops the plugin.
func (b *bench) stopPlugin(k *kubelet) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := k.publishedCount()
	err := k.unpublishAll(ctx)
	if err == nil {
		b.logf("unpublished %d volumes", n)
		err = k.removeDir()
	}
	b.stk.StopProcess("csi-driver")
	b.summarizeLog(filepath.Join(b.stk.Dir, "logs", "csi-driver.log"))
	return errors.Join(err, b.removeStaging(), k.close())
}

func (b *bench) stagingDir() string { return filepath.Join(b.stk.Dir, "bench-staging") }

// removeStaging checks that no volume's mount is left in the plugin's staging directory,
// then removes the directory's own bind mount and the directory.
func (b *bench) removeStaging() error {
	dir := b.stagingDir()
	left, err := mountsUnder(dir + "/")
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d mounts left in the plugin's staging directory %s after every volume was unpublished", left, dir)
	}
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("unmount the staging directory: %w", err)
	}
	return os.RemoveAll(dir)
}

// summarizeLog reports the warnings and errors the plugin logged, by message.
func (b *bench) summarizeLog(path string) {
	f, err := os.Open(path) //nolint:gosec // G304: the plugin's log in the stack directory
	if err != nil {
		b.logf("plugin log unavailable: %v", err)
		return
	}
	defer f.Close()
	lines := 0
	bad := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines++
		var e struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			bad["(not a JSON line)"]++
			continue
		}
		if e.Level == "WARN" || e.Level == "ERROR" {
			bad[e.Level+" "+e.Msg]++
		}
	}
	b.logf("plugin log: %d lines, warnings and errors: %v", lines, bad)
}
