// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// The store's dynamic engines on the real stack: database credentials from the database
// secrets engine backed by the stack's PostgreSQL, and certificates from the PKI engine.

const (
	dbMount = "it-database"
	dbRole  = "it-app"
	pkiRole = "it-app"
)

func TestStoreDatabaseEngine(t *testing.T) {
	ctx := t.Context()
	pg, err := stk.StartPostgres(ctx)
	if err != nil {
		t.Fatalf("start postgresql: %v", err)
	}
	secretValue(pg.Password)
	if pg.Port == 5432 || !strings.HasPrefix(pg.Addr, "127.0.0.1:") {
		t.Errorf("postgresql listens on %s, want 127.0.0.1 on a free port", pg.Addr)
	}
	if again, err := stk.StartPostgres(ctx); err != nil || again != pg {
		t.Errorf("second StartPostgres: got %s, %v; want the running server at %s", again.Addr, err, pg.Addr)
	}
	if err := stk.EnableDatabase(ctx, dbMount, pg, dbRole, "10m", "1h"); err != nil {
		t.Fatalf("enable the database engine: %v", err)
	}

	creds, err := stk.ReadDatabaseCreds(ctx, dbMount, dbRole)
	if err != nil {
		t.Fatalf("read database credentials: %v", err)
	}
	secretValue(creds.Data.Password)
	if want := dbMount + "/creds/" + dbRole + "/"; !strings.HasPrefix(creds.LeaseID, want) {
		t.Errorf("lease_id %q, want prefix %q", creds.LeaseID, want)
	}
	if creds.LeaseDuration != 600 || !creds.Renewable {
		t.Errorf("lease_duration %d renewable %v, want 600 (the role's default_ttl) and renewable", creds.LeaseDuration, creds.Renewable)
	}
	if err := pg.CanLogin(ctx, creds.Data.Username, creds.Data.Password); err != nil {
		t.Fatalf("the issued credentials do not log in to postgresql: %v", err)
	}
	// The check can fail: a wrong password is refused.
	if err := pg.CanLogin(ctx, creds.Data.Username, creds.Data.Password+"-wrong"); err == nil {
		t.Errorf("login with a wrong password succeeded")
	}

	other, err := stk.ReadDatabaseCreds(ctx, dbMount, dbRole)
	if err != nil {
		t.Fatalf("read database credentials again: %v", err)
	}
	secretValue(other.Data.Password)
	if other.Data.Username == creds.Data.Username || other.LeaseID == creds.LeaseID {
		t.Errorf("second read returned the same user %q / lease, want new credentials", other.Data.Username)
	}

	// Revoking the lease drops the role in PostgreSQL.
	if err := stk.StoreAPI(ctx, http.MethodPut, "sys/leases/revoke", map[string]string{"lease_id": creds.LeaseID}, nil); err != nil {
		t.Fatalf("revoke the lease: %v", err)
	}
	if err := pg.CanLogin(ctx, creds.Data.Username, creds.Data.Password); err == nil {
		t.Errorf("credentials of a revoked lease still log in")
	}
	if err := pg.CanLogin(ctx, other.Data.Username, other.Data.Password); err != nil {
		t.Errorf("revoking one lease broke the other: %v", err)
	}

	// A stopped server starts again with its data, and the engine reconnects to it.
	stk.StopPostgres()
	if err := pg.CanLogin(ctx, other.Data.Username, other.Data.Password); err == nil {
		t.Fatalf("postgresql still answers after StopPostgres")
	}
	if again, err := stk.StartPostgres(ctx); err != nil || again != pg {
		t.Fatalf("restart postgresql: got %s, %v; want the server at %s", again.Addr, err, pg.Addr)
	}
	if err := pg.CanLogin(ctx, other.Data.Username, other.Data.Password); err != nil {
		t.Errorf("credentials issued before the restart: %v", err)
	}
	third, err := stk.ReadDatabaseCreds(ctx, dbMount, dbRole)
	if err != nil {
		t.Fatalf("read database credentials after the restart: %v", err)
	}
	secretValue(third.Data.Password)
	if err := pg.CanLogin(ctx, third.Data.Username, third.Data.Password); err != nil {
		t.Errorf("credentials issued after the restart: %v", err)
	}
}

func TestStorePKIIssue(t *testing.T) {
	ctx := t.Context()
	if err := stk.EnablePKI(ctx, "it-pki", pkiRole, "example.test", "1h"); err != nil {
		t.Fatalf("enable the pki engine: %v", err)
	}
	var out struct {
		Data struct {
			Certificate  string `json:"certificate"`
			IssuingCA    string `json:"issuing_ca"`
			PrivateKey   string `json:"private_key"`
			SerialNumber string `json:"serial_number"`
		} `json:"data"`
	}
	err := stk.StoreAPI(ctx, http.MethodPut, "it-pki/issue/"+pkiRole, map[string]string{"common_name": "app.example.test", "ttl": "10m"}, &out)
	if err != nil {
		t.Fatalf("issue a certificate: %v", err)
	}
	if out.Data.PrivateKey == "" || out.Data.SerialNumber == "" {
		t.Errorf("answer without private_key or serial_number")
	}
	secretValue(out.Data.PrivateKey)
	cert := parseCert(t, out.Data.Certificate)
	ca := parseCert(t, out.Data.IssuingCA)
	if cert.Subject.CommonName != "app.example.test" || !slices.Contains(cert.DNSNames, "app.example.test") {
		t.Errorf("certificate for %q %v, want app.example.test", cert.Subject.CommonName, cert.DNSNames)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "app.example.test", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("certificate does not verify against issuing_ca: %v", err)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life > time.Hour {
		t.Errorf("certificate valid for %s, want at most the requested 10m (+ backdating)", life)
	}
	// The role is limited to its domain.
	err = stk.StoreAPI(ctx, http.MethodPut, "it-pki/issue/"+pkiRole, map[string]string{"common_name": "app.other.test"}, nil)
	if err == nil {
		t.Errorf("the role issued a certificate outside example.test")
	}
}

func parseCert(t *testing.T, pemText string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %.40q", pemText)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return c
}
