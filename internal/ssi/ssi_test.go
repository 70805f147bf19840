// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package ssi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func valid() *SecretsStoreImport {
	return &SecretsStoreImport{
		ObjectMeta: metav1.ObjectMeta{Namespace: "myapp-namespace", Name: "myapp-ssi"},
		Spec: Spec{
			Type: TypeCSI,
			Role: "myapp-role",
			Files: []File{
				{Name: "db-password", Source: Source{Path: "demo-kv/data/myapp-secret", Key: "DB_PASS"}},
				{Name: "keytab", DecodeBase64: true, Source: Source{Path: "demo-kv/data/myapp-secret", Key: "keytab"}},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *SecretsStoreImport)
		want   string // substring of the error; "" means valid
	}{
		{name: "valid", change: func(*SecretsStoreImport) {}},
		{name: "wrong type", change: func(s *SecretsStoreImport) { s.Spec.Type = "Env" }, want: `spec.type is "Env", want "CSI"`},
		{name: "no role", change: func(s *SecretsStoreImport) { s.Spec.Role = "" }, want: "spec.role is empty"},
		{name: "no files", change: func(s *SecretsStoreImport) { s.Spec.Files = nil }, want: "spec.files and spec.filesFrom are empty"},
		{name: "too many files", change: func(s *SecretsStoreImport) {
			s.Spec.Files = make([]File, MaxFiles+1)
		}, want: "more than 256"},
		{name: "ca and skip", change: func(s *SecretsStoreImport) {
			s.Spec.CACert, s.Spec.SkipTLSVerify = "pem", true
		}, want: "set one"},
		{name: "traversal name", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Name = "../etc" }, want: "spec.files[0].name"},
		{name: "slash in name", change: func(s *SecretsStoreImport) { s.Spec.Files[1].Name = "a/b" }, want: "spec.files[1].name"},
		{name: "dot name", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Name = ".data" }, want: `starts with "."`},
		{name: "empty name", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Name = "" }, want: "empty file name"},
		{name: "duplicate name", change: func(s *SecretsStoreImport) { s.Spec.Files[1].Name = "db-password" }, want: `spec.files[1].name "db-password" repeats spec.files[0].name`},
		{name: "bad path", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Source.Path = "demo-kv//x" }, want: `spec.files[0] (file "db-password").source`},
		{name: "empty key", change: func(s *SecretsStoreImport) { s.Spec.Files[1].Source.Key = "" }, want: "empty key"},
		{name: "pinned version", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Source.Version = 3 }},
		{name: "only filesFrom", change: func(s *SecretsStoreImport) {
			s.Spec.Files, s.Spec.FilesFrom = nil, []FilesFrom{{Mode: 0o444, Source: PathSource{Path: "kv/data/app", Version: 2}}}
		}},
		{name: "filesFrom bad path", change: func(s *SecretsStoreImport) {
			s.Spec.FilesFrom = []FilesFrom{{Source: PathSource{Path: "kv/../app"}}}
		}, want: "spec.filesFrom[0].source.path"},
		{name: "filesFrom bad mode", change: func(s *SecretsStoreImport) {
			s.Spec.FilesFrom = []FilesFrom{{Mode: 0o644, Source: PathSource{Path: "kv/data/app"}}}
		}, want: "spec.filesFrom[0].mode is 0644"},
		{name: "too many filesFrom", change: func(s *SecretsStoreImport) {
			s.Spec.FilesFrom = make([]FilesFrom, MaxFilesFrom+1)
		}, want: "spec.filesFrom lists 17 secrets, more than 16"},
		{name: "world-readable file", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Mode = 0o444 }},
		{name: "executable file", change: func(s *SecretsStoreImport) { s.Spec.Files[1].Mode = 0o555 }, want: `spec.files[1] (file "keytab").mode is 0555: use 0400, 0440, 0444 or 0404`},
		{name: "decimal mode of no meaning", change: func(s *SecretsStoreImport) { s.Spec.Files[0].Mode = 440 }, want: `.mode is 0670`},
		{name: "negative version", change: func(s *SecretsStoreImport) { s.Spec.Files[1].Source.Version = -1 }, want: `spec.files[1] (file "keytab").source.version is -1`},
		{name: "write source", change: func(s *SecretsStoreImport) {
			s.Spec.Files[0].Source.Write = map[string]any{"common_name": "a.example", "ttl": "1h"}
		}},
		{name: "write and version", change: func(s *SecretsStoreImport) {
			s.Spec.Files[0].Source.Write, s.Spec.Files[0].Source.Version = map[string]any{}, 2
		}, want: `spec.files[0] (file "db-password").source: version and write are both set`},
		{name: "large write", change: func(s *SecretsStoreImport) {
			s.Spec.Files[0].Source.Write = map[string]any{"alt_names": strings.Repeat("a", MaxWriteBody)}
		}, want: "more than 4096"},
		{name: "filesFrom write and version", change: func(s *SecretsStoreImport) {
			s.Spec.FilesFrom = []FilesFrom{{Source: PathSource{Path: "pki/issue/web", Version: 1, Write: map[string]any{}}}}
		}, want: "spec.filesFrom[0].source: version and write are both set"},
		{name: "audience", change: func(s *SecretsStoreImport) { s.Spec.Audience = "secrets-store" }},
		{name: "url audience", change: func(s *SecretsStoreImport) { s.Spec.Audience = "https://stronghold.example.com:8200" }},
		{name: "audience with space", change: func(s *SecretsStoreImport) { s.Spec.Audience = "secrets store" }, want: "spec.audience: audience \"secrets store\" has spaces"},
		{name: "long audience", change: func(s *SecretsStoreImport) { s.Spec.Audience = strings.Repeat("a", MaxAudienceLength+1) }, want: "spec.audience: audience is 257 bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(s)
			err := s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error with %q", tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want it to match ErrInvalid", err)
			}
			for _, w := range []string{tt.want, "SecretsStoreImport myapp-namespace/myapp-ssi", "fix the resource"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func object(ns, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/" + Version,
		"kind":       Kind,
		"metadata":   map[string]any{"namespace": ns, "name": name, "uid": "uid-" + name},
		"spec": map[string]any{
			"type":          "CSI",
			"role":          "myapp-role",
			"address":       "https://stronghold.example:8200",
			"authPath":      "remote",
			"namespace":     "finance",
			"audience":      "vault",
			"skipTLSVerify": true,
			"files": []any{
				map[string]any{
					"name": "keytab", "decodeBase64": true,
					"source": map[string]any{"path": "demo-kv/data/myapp-secret", "key": "keytab"},
				},
			},
		},
	}}
}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{GroupVersionResource: Kind + "List"}, objs...)
}

func checkGot(t *testing.T, got *SecretsStoreImport) {
	t.Helper()
	want := Spec{
		Type: "CSI", Role: "myapp-role", Address: "https://stronghold.example:8200", AuthPath: "remote",
		Namespace: "finance", Audience: "vault", SkipTLSVerify: true,
		Files: []File{{Name: "keytab", DecodeBase64: true, Source: Source{Path: "demo-kv/data/myapp-secret", Key: "keytab"}}},
	}
	if got.Ref() != "ns1/app" || got.UID != "uid-app" {
		t.Errorf("got %s uid %q, want ns1/app uid-app", got.Ref(), got.UID)
	}
	if g, w := got.Spec.Files, want.Files; len(g) != 1 || !reflect.DeepEqual(g[0], w[0]) {
		t.Errorf("got files %+v, want %+v", g, w)
	}
	got.Spec.Files, want.Files = nil, nil
	if got.Spec.Type != want.Type || got.Spec.Role != want.Role || got.Spec.Address != want.Address ||
		got.Spec.AuthPath != want.AuthPath || got.Spec.Namespace != want.Namespace ||
		got.Spec.Audience != want.Audience || got.Spec.SkipTLSVerify != want.SkipTLSVerify {
		t.Errorf("got spec %+v, want %+v", got.Spec, want)
	}
}

func TestClientGet(t *testing.T) {
	c := NewClient(fakeDynamic(object("ns1", "app")))
	got, err := c.Get(t.Context(), "ns1", "app")
	if err != nil {
		t.Fatal(err)
	}
	checkGot(t, got)
}

func TestClientNotFound(t *testing.T) {
	c := NewClient(fakeDynamic(object("other", "app")))
	_, err := c.Get(t.Context(), "ns1", "app")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	want := "SecretsStoreImport ns1/app not found: create it in the pod's namespace"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to contain %q", err, want)
	}
}

func TestCache(t *testing.T) {
	dyn := fakeDynamic(object("ns1", "app"))
	c := NewCache(dyn, time.Hour)
	ctx := t.Context()
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Run(ctx) }()
	t.Cleanup(func() { <-done })

	// Before the informer syncs the live client answers.
	got, err := c.Get(ctx, "ns1", "app")
	if err != nil {
		t.Fatal(err)
	}
	checkGot(t, got)
	for !c.Synced() {
		time.Sleep(time.Millisecond)
	}
	got, err = c.Get(ctx, "ns1", "app")
	if err != nil {
		t.Fatal(err)
	}
	checkGot(t, got)
	if _, err := c.Get(ctx, "ns1", "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}
