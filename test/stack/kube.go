// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func (s *Stack) pkiFile(name string) string { return filepath.Join(s.Dir, "pki", name) }

func (s *Stack) port(name string) string { return strconv.Itoa(s.Env.Ports[name]) }

func (s *Stack) startEtcd(ctx context.Context) error {
	client := "http://127.0.0.1:" + s.port("etcd")
	peer := "http://127.0.0.1:" + s.port("etcd-peer")
	err := s.start("etcd", nil, s.Bins.Etcd,
		"--name", "stack", "--data-dir", filepath.Join(s.Dir, "data", "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "stack="+peer, "--listen-metrics-urls", "",
		"--snapshot-count", "10000", "--quota-backend-bytes", strconv.Itoa(2<<30))
	if err != nil {
		return err
	}
	return s.waitFor(ctx, "etcd", 30*time.Second, func(ctx context.Context) error {
		return get(ctx, http.DefaultClient, client+"/health")
	})
}

func (s *Stack) startAPIServer(ctx context.Context) error {
	err := s.start("kube-apiserver", nil, s.Bins.APIServer,
		"--etcd-servers", "http://127.0.0.1:"+s.port("etcd"),
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", s.port("apiserver"),
		"--tls-cert-file", s.pkiFile("apiserver.crt"), "--tls-private-key-file", s.pkiFile("apiserver.key"),
		"--client-ca-file", s.pkiFile("ca.crt"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", s.pkiFile("sa.pub"), "--service-account-signing-key-file", s.pkiFile("sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		// its Endpoints would have to hold 127.0.0.1, which the API refuses
		"--endpoint-reconciler-type", "none",
		"--authorization-mode", "Node,RBAC",
		"--allow-privileged=true",
		"--kubelet-client-certificate", s.pkiFile("apiserver-kubelet-client.crt"),
		"--kubelet-client-key", s.pkiFile("apiserver-kubelet-client.key"),
		"--kubelet-certificate-authority", s.pkiFile("ca.crt"),
		"--kubelet-preferred-address-types", "InternalIP,Hostname",
		"--profiling=false", "--v=1")
	if err != nil {
		return err
	}
	for name, cert := range map[string]string{
		"admin": "admin", "controller-manager": "controller-manager", "scheduler": "scheduler", "kubelet": "kubelet-client",
	} {
		if err := s.writeKubeconfig(name, cert); err != nil {
			return err
		}
	}
	client, err := s.httpClient("admin")
	if err != nil {
		return err
	}
	return s.waitFor(ctx, "kube-apiserver", 120*time.Second, func(ctx context.Context) error {
		return get(ctx, client, s.Env.APIServer+"/readyz")
	})
}

// startControllers starts kube-controller-manager (it creates each namespace's default
// ServiceAccount and kube-root-ca.crt, which pods need) and kube-scheduler.
func (s *Stack) startControllers(ctx context.Context) error {
	kcm := filepath.Join(s.Dir, "controller-manager.kubeconfig")
	err := s.start("kube-controller-manager", nil, s.Bins.ControllerManager,
		"--kubeconfig", kcm, "--authentication-kubeconfig", kcm, "--authorization-kubeconfig", kcm,
		"--bind-address", "127.0.0.1", "--secure-port", s.port("controller-manager"),
		"--tls-cert-file", s.pkiFile("localhost.crt"), "--tls-private-key-file", s.pkiFile("localhost.key"),
		"--leader-elect=false", "--use-service-account-credentials=false",
		"--service-account-private-key-file", s.pkiFile("sa.key"), "--root-ca-file", s.pkiFile("ca.crt"),
		"--cluster-signing-cert-file", s.pkiFile("ca.crt"), "--cluster-signing-key-file", s.pkiFile("ca.key"),
		"--v=1")
	if err != nil {
		return err
	}
	sch := filepath.Join(s.Dir, "scheduler.kubeconfig")
	err = s.start("kube-scheduler", nil, s.Bins.Scheduler,
		"--kubeconfig", sch, "--authentication-kubeconfig", sch, "--authorization-kubeconfig", sch,
		"--bind-address", "127.0.0.1", "--secure-port", s.port("scheduler"),
		"--tls-cert-file", s.pkiFile("localhost.crt"), "--tls-private-key-file", s.pkiFile("localhost.key"),
		"--leader-elect=false", "--v=1")
	if err != nil {
		return err
	}
	client, err := s.httpClient("")
	if err != nil {
		return err
	}
	for name, port := range map[string]string{"kube-controller-manager": "controller-manager", "kube-scheduler": "scheduler"} {
		url := "https://127.0.0.1:" + s.port(port) + "/healthz"
		if err := s.waitFor(ctx, name, 60*time.Second, func(ctx context.Context) error { return get(ctx, client, url) }); err != nil {
			return err
		}
	}
	return nil
}

// writeKubeconfig writes <name>.kubeconfig for the client certificate pki/<cert>.crt.
func (s *Stack) writeKubeconfig(name, cert string) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: stack
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: %s
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: stack
  context: {cluster: stack, user: %s}
current-context: stack
`, s.Env.APIServer, s.pkiFile("ca.crt"), name, s.pkiFile(cert+".crt"), s.pkiFile(cert+".key"), name)
	return os.WriteFile(filepath.Join(s.Dir, name+".kubeconfig"), []byte(kc), 0o600)
}

// httpClient trusts the stack CA and, when cert is set, presents pki/<cert>.crt.
func (s *Stack) httpClient(cert string) (*http.Client, error) {
	ca, err := os.ReadFile(s.pkiFile("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(s.pkiFile(cert+".crt"), s.pkiFile(cert+".key"))
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}, nil
}

func get(ctx context.Context, c *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// RestartAPIServer stops kube-apiserver by its PID (SIGTERM, as a rolling update would end
// it) and starts it again on the same port with the same data, waiting until it is ready.
// Everything that talks to it has to reconnect by itself.
func (s *Stack) RestartAPIServer(ctx context.Context) error {
	s.stop("kube-apiserver", 30*time.Second)
	return s.startAPIServer(ctx)
}
