// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/deckhouse/secrets-store-integration/test/stack"
)

// The lease test's engine and role: database credentials valid for watchLeaseTTL unless
// renewed, never beyond watchLeaseMax; store tokens of the role live watchTokenTTL unless
// renewed.
const (
	watchDB          = "watch-db"
	watchDBRole      = "watch-app"
	watchLeaseRole   = "watch-lease-role"
	watchLeasePolicy = "watch-lease"
	watchLeaseTTL    = 20 * time.Second
	watchLeaseMax    = 60 * time.Second
	watchTokenTTL    = 15 * time.Second
)

// watch-for-lease: the injector renews its token and the credentials' lease, so both outlive
// their TTL, and stops the application before the lease reaches its max TTL; kubelet starts
// the container again, which gets new credentials.
func TestInjectWatchLease(t *testing.T) {
	setupWatch(t)
	ctx := t.Context()
	pg := watchLeaseFixture(t)
	creds := "secrets-store:" + watchDB + "/creds/" + watchDBRole
	pod := watchPod("lease-app", `echo "DB_USER=$DB_USER"; echo "DB_PASS=$DB_PASS"; exec sleep 100000`,
		corev1.RestartPolicyAlways, env("DB_USER", creds+"#username"), env("DB_PASS", creds+"#password"))
	pod.Annotations[annPrefix+"role"] = watchLeaseRole
	pod.Annotations[annPrefix+"restart-on-secret-change"] = "watch-for-lease"
	delete(pod.Annotations, annPrefix+"secret-poll-interval")
	watchCreate(t, pod)

	watchWait(t, watchNS, pod.Name, 0, "", 2*time.Minute)
	user1, pass1 := watchCreds(t, pod.Name, false)
	seen := time.Now() // the lease and the token were issued before
	if err := pg.CanLogin(ctx, user1, pass1); err != nil {
		t.Fatalf("the first credentials do not log in: %v", err)
	}
	// Past one lease TTL and one token TTL: without renewals the store would have revoked
	// the credentials by now (the lease expired, or the token and its leases with it).
	wait := watchLeaseTTL + 5*time.Second
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(time.Until(seen.Add(wait))):
	}
	if _, s, err := watchApp(ctx, watchNS, pod.Name); err != nil || s == nil || s.RestartCount != 0 {
		t.Fatalf("container app %s (%v) %s after the credentials, want it still running: the lease ends only after %s",
			watchDescribe(s), err, wait, watchLeaseMax)
	}
	if err := pg.CanLogin(ctx, user1, pass1); err != nil {
		t.Fatalf("the first credentials no longer log in %s after they were issued (lease TTL %s, token TTL %s): "+
			"the injector did not renew the lease or its token: %v", wait, watchLeaseTTL, watchTokenTTL, err)
	}

	st := watchWait(t, watchNS, pod.Name, 1, "", watchLeaseMax+90*time.Second)
	user2, pass2 := watchCreds(t, pod.Name, false)
	if user2 == user1 {
		t.Errorf("the container got the same database user %q after the restart, want new credentials", user2)
	}
	if err := pg.CanLogin(ctx, user2, pass2); err != nil {
		t.Errorf("the credentials after the restart do not log in: %v", err)
	}
	term := st.LastTerminationState.Terminated
	if term == nil {
		t.Fatalf("no termination recorded for the container before the restart: %s", watchDescribe(st))
	}
	// The lease was issued after the container started: it ended after StartedAt+max TTL.
	if lived := term.FinishedAt.Sub(term.StartedAt.Time); lived >= watchLeaseMax {
		t.Errorf("the first container ran %s, want it stopped before its lease's max TTL %s ended", lived, watchLeaseMax)
	}
	t.Logf("first container ran %s (lease TTL %s, max TTL %s, grace %ds), exit code %d",
		term.FinishedAt.Sub(term.StartedAt.Time), watchLeaseTTL, watchLeaseMax, watchGrace, term.ExitCode)
}

// watchLeaseFixture connects the database engine at watch-db to the stack's PostgreSQL with
// short TTLs, and writes role watch-lease-role, which may read its credentials. Renewing the
// token and the lease needs no policy of its own: OpenBao's default policy, which every token
// of the role has, allows both (checked here).
func watchLeaseFixture(t *testing.T) stack.PG {
	t.Helper()
	ctx := t.Context()
	pg := databaseEngine(t, watchDB, watchDBRole, watchLeaseTTL, watchLeaseMax)
	var def struct {
		Data struct {
			Policy string `json:"policy"`
		} `json:"data"`
	}
	if err := stk.StoreAPI(ctx, http.MethodGet, "sys/policies/acl/default", nil, &def); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{`"auth/token/renew-self"`, `"sys/leases/renew"`} {
		if !strings.Contains(def.Data.Policy, "path "+p) {
			t.Fatalf("OpenBao's default policy has no path %s: give role %s a policy that allows it", p, watchLeaseRole)
		}
	}
	if err := stk.WritePolicy(ctx, watchLeasePolicy, stack.ReadPolicy(watchDB+"/creds/"+watchDBRole)); err != nil {
		t.Fatal(err)
	}
	if err := stk.WriteRole(ctx, AuthMount, watchLeaseRole, watchNS, watchSA, watchTokenTTL.String(), watchLeasePolicy); err != nil {
		t.Fatal(err)
	}
	return pg
}

// watchCreds returns the credentials the current (or previous) container of pod printed.
func watchCreds(t *testing.T, pod string, previous bool) (user, pass string) {
	t.Helper()
	var logs string
	err := stack.Poll(t.Context(), 30*time.Second, func(ctx context.Context) (bool, error) {
		l, err := formsLogs(ctx, watchNS, pod, "app", previous)
		logs = l
		user, _ = formsLine(logs, "DB_USER")
		pass, _ = formsLine(logs, "DB_PASS")
		return err == nil && user != "" && pass != "", nil //nolint:nilerr // the log may not be there yet
	})
	secretValue(pass)
	if err != nil {
		t.Fatalf("pod %s printed no credentials (%v); log:\n%s", pod, err, formsRedact(logs, "DB_PASS"))
	}
	return user, pass
}
