// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"crypto/tls"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// formsIssue is a write-then-read of the PKI engine's issue path with one body.
const formsIssue = ">>secrets-store:" + formsPKI + "/issue/" + formsPKIRole

const formsIssueBody = `{"common_name":"app.example.test"}`

// Two variables with the same path and body are served by one write, so the certificate and
// the private key belong together; an inline write with that path and body is the same write.
func TestInjectFormsWriteThenRead(t *testing.T) {
	setupForms(t)
	script := `echo ---CERT---; printf '%s\n' "$CERT"; echo ---KEY---; printf '%s\n' "$KEY"; echo ---END---; echo "SERIAL=$SERIAL"`
	pod := formsPod("forms-write", script, nil,
		env("CERT", formsIssue+"#certificate#"+formsIssueBody),
		env("KEY", formsIssue+"#private_key#"+formsIssueBody),
		env("SERIAL", "serial:${"+formsIssue+"#serial_number#"+formsIssueBody+"}"))
	phase, logs := runInjected(t, pod)
	certPEM, keyPEM := formsBetween(logs, "---CERT---", "---KEY---"), formsBetween(logs, "---KEY---", "---END---")
	secretValue(keyPEM)
	if phase != corev1.PodSucceeded || certPEM == "" || keyPEM == "" {
		t.Fatalf("phase %s (want Succeeded), certificate %d bytes, private key %d bytes; log without them:\n%s",
			phase, len(certPEM), len(keyPEM), formsBetween(logs, "---END---", ""))
	}
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		t.Fatalf("the private key does not match the certificate's public key (two writes instead of one?): %v", err)
	}
	cert := parseCert(t, certPEM)
	if cert.Subject.CommonName != "app.example.test" {
		t.Errorf("certificate for %q, want app.example.test (the body of the write)", cert.Subject.CommonName)
	}
	serial, _ := formsLine(logs, "SERIAL")
	got, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(serial, "serial:"), ":", ""), 16)
	if !strings.HasPrefix(serial, "serial:") || !ok {
		t.Fatalf("SERIAL=%q, want serial: followed by the certificate's serial number", serial)
	}
	if got.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("the inline write's serial_number %s is not the certificate's %s: the same path and body were written twice",
			got.Text(16), cert.SerialNumber.Text(16))
	}
}

// formsBetween returns the text of logs between the lines start and end ("" = the end),
// without the newline before end.
func formsBetween(logs, start, end string) string {
	_, rest, ok := strings.Cut(logs, start+"\n")
	if !ok {
		return ""
	}
	if end == "" {
		return rest
	}
	body, _, ok := strings.Cut(rest, end+"\n")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(body, "\n")
}

// VAULT_TOKEN=secrets-store:login hands the application the injector's own store token:
// a live token of the pod's role, with the role's policies.
func TestInjectFormsLoginToken(t *testing.T) {
	setupForms(t)
	pod := formsPod("forms-login", `echo "VAULT_TOKEN=$VAULT_TOKEN"; echo "PASS_SET=${PASS:+yes}"`, nil,
		env("VAULT_TOKEN", "secrets-store:login"),
		env("PASS", formsRef("db", "password")))
	phase, logs := runInjected(t, pod)
	tok, _ := formsLine(logs, "VAULT_TOKEN")
	if phase != corev1.PodSucceeded || tok == "" || tok == "secrets-store:login" {
		t.Fatalf("phase %s (want Succeeded), VAULT_TOKEN set to a token: %v; log:\n%s",
			phase, tok != "" && tok != "secrets-store:login", formsRedact(logs))
	}
	if set, _ := formsLine(logs, "PASS_SET"); set != "yes" {
		t.Errorf("PASS was not resolved next to VAULT_TOKEN; log:\n%s", formsRedact(logs))
	}
	app := formsAsToken(tok)
	t.Cleanup(func() {
		_ = app.StoreAPI(context.WithoutCancel(t.Context()), http.MethodPost, "auth/token/revoke-self", nil, nil)
	})
	var self struct {
		Data struct {
			TTL      int               `json:"ttl"`
			Policies []string          `json:"policies"`
			Meta     map[string]string `json:"meta"`
		} `json:"data"`
	}
	if err := app.StoreAPI(t.Context(), http.MethodGet, "auth/token/lookup-self", nil, &self); err != nil {
		t.Fatalf("auth/token/lookup-self with the application's VAULT_TOKEN: %v (want a live token)", err)
	}
	meta := self.Data.Meta
	if meta["role"] != formsRole || meta["service_account_name"] != formsSA || meta["service_account_namespace"] != formsNS {
		t.Errorf("token of role %q, service account %s/%s; want role %s of %s/%s",
			meta["role"], meta["service_account_namespace"], meta["service_account_name"], formsRole, formsNS, formsSA)
	}
	if self.Data.TTL <= 0 {
		t.Errorf("token TTL %d, want a live token", self.Data.TTL)
	}
	// The role's policy lets the token read the pod's secrets and nothing else.
	if err := app.StoreAPI(t.Context(), http.MethodGet, formsKV+"/data/db", nil, nil); err != nil {
		t.Errorf("the application's token cannot read %s/data/db, which its role may: %v", formsKV, err)
	}
	if err := app.StoreAPI(t.Context(), http.MethodGet, "sys/policies/acl/"+formsPolicy, nil, nil); err == nil {
		t.Errorf("the application's token reads sys/policies/acl/%s: it has more than its role's rights", formsPolicy)
	}
}

// formsAsToken is a view of the stack whose StoreAPI calls use token instead of the root
// token.
func formsAsToken(token string) *stack.Stack {
	s := *stk
	s.Env.StoreRootToken = token
	return &s
}

var formsDSN = regexp.MustCompile(`^([^:]+):(.+)$`)

// Dynamic credentials of the database engine: every variable of one path comes from one
// read (one lease), and the printed credentials log in to PostgreSQL.
func TestInjectFormsDatabaseCredentials(t *testing.T) {
	setupForms(t)
	pg, err := formsPG()
	if err != nil {
		t.Fatalf("database fixture: %v", err)
	}
	path := "secrets-store:" + formsDB + "/creds/" + formsDBRole
	pod := formsPod("forms-dbcreds", `echo "DB_USER=$DB_USER"; echo "DB_PASS=$DB_PASS"; echo "DSN=$DSN"`, nil,
		env("DB_USER", path+"#username"),
		env("DB_PASS", path+"#password"),
		env("DSN", path+"#${.username}:${.password}"))
	phase, logs := runInjected(t, pod)
	user, _ := formsLine(logs, "DB_USER")
	pass, _ := formsLine(logs, "DB_PASS")
	dsn, _ := formsLine(logs, "DSN")
	secretValue(pass)
	if phase != corev1.PodSucceeded || user == "" || pass == "" {
		t.Fatalf("phase %s (want Succeeded), user %q, password set %v; log:\n%s", phase, user, pass != "", formsRedact(logs, "DB_PASS", "DSN"))
	}
	if m := formsDSN.FindStringSubmatch(dsn); m == nil || m[1] != user || m[2] != pass {
		t.Errorf("DSN (a template over the same path) holds other credentials than DB_USER and DB_PASS: two reads, two leases")
	}
	if err := pg.CanLogin(t.Context(), user, pass); err != nil {
		t.Fatalf("the injected credentials do not log in to postgresql: %v", err)
	}
}
