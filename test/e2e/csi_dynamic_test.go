// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// Dynamic secrets on a CSI volume, against the real store: database credentials from the
// database engine (the stack's PostgreSQL) whose lease is renewed while the pod uses them
// and read again before the max TTL; a PKI certificate from a write, issued again before it
// expires. The application keeps logging in.
const (
	csiDB        = "csi-db"
	csiDBRole    = "csi-app"
	csiLeaseTTL  = 30 * time.Second
	csiLeaseMax  = 90 * time.Second
	csiPKI       = "csi-pki"
	csiPKIRole   = "csi-app"
	csiCertTTL   = 45 * time.Second
	csiDynRole   = "csi-dynamic-role"
	csiDynPolicy = "csi-dynamic"
)

// databaseEngine starts the stack's PostgreSQL (once) and connects the database engine at
// mount to it, with role handing out credentials with a lease of ttl, renewable up to max.
func databaseEngine(t *testing.T, mount, role string, ttl, maxTTL time.Duration) stack.PG {
	t.Helper()
	ctx := t.Context()
	pg, err := stk.StartPostgres(ctx)
	if err != nil {
		t.Fatalf("start postgresql: %v", err)
	}
	secretValue(pg.Password)
	if err := stk.EnableDatabase(ctx, mount, pg, role, ttl.String(), maxTTL.String()); err != nil {
		t.Fatalf("enable the database engine: %v", err)
	}
	return pg
}

func csiDynamicFixture(t *testing.T) stack.PG {
	t.Helper()
	ctx := t.Context()
	pg := databaseEngine(t, csiDB, csiDBRole, csiLeaseTTL, csiLeaseMax)
	if err := stk.EnablePKI(ctx, csiPKI, csiPKIRole, "example.test", "1h"); err != nil {
		t.Fatalf("enable the pki engine: %v", err)
	}
	policy := stack.ReadPolicy(csiDB+"/creds/"+csiDBRole) +
		fmt.Sprintf("path %q {\n  capabilities = [\"create\", \"update\"]\n}\n", csiPKI+"/issue/"+csiPKIRole)
	if err := stk.WritePolicy(ctx, csiDynPolicy, policy); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, csiDynRole, seedNS, seedSA, "", csiDynPolicy); err != nil {
		t.Fatal(err)
	}
	return pg
}

func TestCSIDatabaseCredentialsLease(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	pg := csiDynamicFixture(t)
	creds := csiDB + "/creds/" + csiDBRole
	if err := applySSI(ctx, seedNS, "csi-db-ssi", csiDynRole,
		ssiFile{Name: "username", Path: creds, Key: "username"},
		ssiFile{Name: "password", Path: creds, Key: "password"},
	); err != nil {
		t.Fatal(err)
	}
	// Each file is replaced atomically, but the two are read one after the other: a pair is
	// printed only if the user read again after the password is the same, so that a
	// replacement between the two reads never prints a new user with the old password. One
	// line per pair, so that the log never ends between the user and its password.
	pod := csiPod("csi-db", "csi-db-ssi", "sh", "-c",
		`while true; do u=$(cat /mnt/secrets/username); p=$(cat /mnt/secrets/password); `+
			`if [ "$u" = "$(cat /mnt/secrets/username)" ]; then echo "DB=$u $p"; fi; sleep 1; done`)
	startPod(t, pod)

	current := func() (user, pass string) {
		t.Helper()
		logs, err := stack.PodLogs(ctx, kube, seedNS, pod.Name)
		if err != nil {
			return "", "" // not started yet
		}
		lines := strings.Split(strings.TrimSpace(logs), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(lines[i], "DB="); ok {
				user, pass, _ = strings.Cut(v, " ")
				break
			}
		}
		secretValue(pass)
		return user, pass
	}
	var user1, pass1 string
	if err := stack.Poll(ctx, time.Minute, func(context.Context) (bool, error) {
		user1, pass1 = current()
		return user1 != "" && pass1 != "", nil
	}); err != nil {
		t.Fatalf("pod %s printed no credentials: %v", pod.Name, err)
	}
	issued := time.Now() // the lease was issued before this
	if err := pg.CanLogin(ctx, user1, pass1); err != nil {
		t.Fatalf("the first credentials do not log in: %v", err)
	}

	// Past the lease's TTL: without renewals the store would have revoked the user.
	time.Sleep(time.Until(issued.Add(csiLeaseTTL + 10*time.Second)))
	if user, _ := current(); user != user1 {
		t.Fatalf("the credentials changed to %s after %s, want the lease renewed (TTL %s, max %s)", user, time.Since(issued), csiLeaseTTL, csiLeaseMax)
	}
	if err := pg.CanLogin(ctx, user1, pass1); err != nil {
		t.Fatalf("the first credentials no longer log in after the lease's TTL (%s): the lease was not renewed: %v", csiLeaseTTL, err)
	}

	// Before the max TTL ends, new credentials replace them in the volume; they log in.
	var user2, pass2 string
	err := stack.Poll(ctx, csiLeaseMax, func(context.Context) (bool, error) {
		user2, pass2 = current()
		return user2 != user1 && user2 != "", nil
	})
	if err != nil {
		t.Fatalf("no new credentials %s after the first were issued (max TTL %s)", time.Since(issued), csiLeaseMax)
	}
	if d := time.Since(issued); d > csiLeaseMax {
		t.Errorf("new credentials came %s after the first were issued, after their max TTL %s", d, csiLeaseMax)
	}
	if err := pg.CanLogin(ctx, user2, pass2); err != nil {
		t.Errorf("the new credentials do not log in: %v", err)
	}
	// The old credentials still worked when the new ones arrived (a margin before the end).
	t.Logf("credentials replaced %s after issue (lease TTL %s, max TTL %s)", time.Since(issued).Round(time.Second), csiLeaseTTL, csiLeaseMax)
}

func TestCSIPKICertificateReissued(t *testing.T) {
	setupModule(t)
	ctx := t.Context()
	csiDynamicFixture(t)
	issue := csiPKI + "/issue/" + csiPKIRole
	body := map[string]any{"common_name": "csi.example.test", "ttl": csiCertTTL.String()}
	if err := stk.ApplySSIFrom(ctx, seedNS, "csi-pki-ssi", csiDynRole,
		[]stack.SSIFilesFrom{{Path: issue, Write: body}},
		ssiFile{Name: "tls.crt", Path: issue, Key: "certificate", Write: body},
		ssiFile{Name: "tls.key", Path: issue, Key: "private_key", Write: body},
	); err != nil {
		t.Fatal(err)
	}
	pod := csiPod("csi-pki", "csi-pki-ssi", "sh", "-c",
		`while true; do echo "---FILES--- $(ls /mnt/secrets | tr '\n' ' ')"; echo ---CERT---; cat /mnt/secrets/tls.crt; echo; echo ---KEY---; cat /mnt/secrets/tls.key; echo; echo ---END---; sleep 2; done`)
	startPod(t, pod)
	waitLog(t, pod.Name, "---END---", time.Minute)

	last := func() (certPEM, keyPEM, files string) {
		t.Helper()
		logs, err := stack.PodLogs(ctx, kube, seedNS, pod.Name)
		if err != nil {
			t.Fatal(err)
		}
		i := strings.LastIndex(logs, "---FILES---")
		block := logs[i:]
		if !strings.Contains(block, "---END---") {
			block = logs[strings.LastIndex(logs[:i], "---FILES---"):i]
		}
		files, _, _ = strings.Cut(strings.TrimPrefix(block, "---FILES--- "), "\n")
		certPEM, keyPEM = formsBetween(block, "---CERT---", "---KEY---"), formsBetween(block, "---KEY---", "---END---")
		secretValue(strings.TrimSpace(keyPEM))
		return certPEM, keyPEM, files
	}
	certPEM, keyPEM, files := last()
	for _, want := range []string{"certificate", "private_key", "issuing_ca", "serial_number", "tls.crt", "tls.key"} {
		if !strings.Contains(" "+files, " "+want+" ") {
			t.Errorf("files %q, want %s (filesFrom of the write and files)", files, want)
		}
	}
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		t.Fatalf("tls.key does not match tls.crt (two writes instead of one?): %v", err)
	}
	cert1 := parseCert(t, certPEM)
	if cert1.Subject.CommonName != "csi.example.test" {
		t.Errorf("certificate for %q, want csi.example.test (the body of the write)", cert1.Subject.CommonName)
	}

	var cert2PEM, key2PEM string
	err := stack.Poll(ctx, csiCertTTL+30*time.Second, func(context.Context) (bool, error) {
		cert2PEM, key2PEM, _ = last()
		return strings.TrimSpace(cert2PEM) != strings.TrimSpace(certPEM), nil
	})
	if err != nil {
		t.Fatalf("the certificate (valid until %s) was not issued again: %v", cert1.NotAfter, err)
	}
	if now := time.Now(); !now.Before(cert1.NotAfter) {
		t.Errorf("the new certificate came at %s, after the first expired at %s", now, cert1.NotAfter)
	}
	if _, err := tls.X509KeyPair([]byte(cert2PEM), []byte(key2PEM)); err != nil {
		t.Errorf("the new tls.key does not match the new tls.crt: %v", err)
	}
	if cert2 := parseCert(t, cert2PEM); cert2.SerialNumber.Cmp(cert1.SerialNumber) == 0 {
		t.Errorf("same serial number after the re-issue")
	}
}
