// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package syncscale

import (
	"maps"
	"testing"
	"time"
)

const controllerText = `# TYPE secrets_store_sync_store_requests_total counter
secrets_store_sync_store_requests_total{kind="login",result="success"} 10
secrets_store_sync_store_requests_total{kind="read",result="success"} 35
secrets_store_sync_store_requests_total{kind="read",result="unavailable"} 2
secrets_store_sync_store_requests_total{kind="mount",result="success"} 1
secrets_store_sync_store_requests_total{kind="renew",result="success"} 3
secrets_store_sync_store_requests_total{kind="revoke",result="success"} 4
# TYPE secrets_store_sync_syncs_total counter
secrets_store_sync_syncs_total{result="Synced"} 2000
secrets_store_sync_syncs_total{result="StoreError"} 5
# TYPE secrets_store_sync_leader gauge
secrets_store_sync_leader 1
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 2.5e+07
`

func TestParseController(t *testing.T) {
	c, err := parseController([]byte(controllerText))
	if err != nil {
		t.Fatal(err)
	}
	want := Requests{Login: 10, Read: 37, Mount: 1, Renew: 3, Other: 4, Failed: 2}
	if c.store != want {
		t.Errorf("store requests: got %+v, want %+v", c.store, want)
	}
	if wantSyncs := map[string]int{"Synced": 2000, "StoreError": 5}; !maps.Equal(c.syncs, wantSyncs) {
		t.Errorf("syncs: got %v, want %v", c.syncs, wantSyncs)
	}
	if !c.leader {
		t.Error("leader: got false, want true")
	}
	if got := c.goMemory["go_memstats_heap_inuse_bytes"]; got != 25e6 {
		t.Errorf("heap in use: got %v, want 25e6", got)
	}
	c, err = parseController([]byte("# TYPE secrets_store_sync_leader gauge\nsecrets_store_sync_leader 0\n"))
	if err != nil || c.leader || c.store.Total() != 0 {
		t.Errorf("a follower without requests: got %+v, %v", c, err)
	}
	if _, err := parseController([]byte("not { metrics")); err == nil {
		t.Error("malformed metrics: got no error")
	}
}

const apiText = `# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 1000
apiserver_request_total{code="200",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="PUT",version="v1"} 40
apiserver_request_total{code="409",component="apiserver",group="",resource="secrets",scope="resource",subresource="",verb="PUT",version="v1"} 3
apiserver_request_total{code="200",component="apiserver",group="",resource="secrets",scope="namespace",subresource="",verb="LIST",version="v1"} 77
apiserver_request_total{code="200",component="apiserver",group="deckhouse.io",resource="secretsstoresyncs",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 1500
apiserver_request_total{code="201",component="apiserver",group="deckhouse.io",resource="secretsstoresyncs",scope="resource",subresource="",verb="POST",version="v1alpha1"} 1000
apiserver_request_total{code="201",component="apiserver",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 900
apiserver_request_total{code="200",component="apiserver",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="PATCH",version="v1"} 5
apiserver_request_total{code="201",component="apiserver",group="",resource="serviceaccounts",scope="resource",subresource="token",verb="POST",version="v1"} 11
apiserver_request_total{code="201",component="apiserver",group="",resource="serviceaccounts",scope="resource",subresource="",verb="POST",version="v1"} 10
apiserver_request_total{code="200",component="apiserver",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 300
`

func TestParseAPIWrites(t *testing.T) {
	w, err := parseAPIWrites([]byte(apiText))
	if err != nil {
		t.Fatal(err)
	}
	want := Writes{Secrets: 1043, Status: 1500, Events: 905, Tokens: 11, Failed: 3}
	if w != want {
		t.Errorf("got %+v, want %+v", w, want)
	}
}

func TestSnapshotSub(t *testing.T) {
	t0 := time.Unix(1000, 0)
	a := snapshot{at: t0, ctl: controllerCounters{store: Requests{Login: 10, Read: 12, Failed: 1}}, apis: Writes{Secrets: 1000, Status: 1000}}
	b := snapshot{at: t0.Add(30 * time.Second), ctl: controllerCounters{store: Requests{Login: 10, Read: 22, Failed: 1}}, apis: Writes{Secrets: 1000, Status: 1800, Events: 2}}
	got := b.sub(a)
	want := Window{Span: 30 * time.Second, Store: Requests{Read: 10}, API: Writes{Status: 800, Events: 2}}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
