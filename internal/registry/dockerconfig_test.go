// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package registry

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParseDockerConfig(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		legacy  bool
		want    map[string]credential
		wantErr string
	}{
		{
			name: "auth field",
			data: `{"auths":{"reg.example":{"auth":"dXNlcjpwYXNz"}}}`,
			want: map[string]credential{"reg.example": {Username: "user", Password: "pass"}},
		},
		{
			name: "auth wins over username and password",
			data: `{"auths":{"reg.example":{"username":"x","password":"y","auth":"dXNlcjpwYXNz"}}}`,
			want: map[string]credential{"reg.example": {Username: "user", Password: "pass"}},
		},
		{
			name: "password with a colon, unpadded base64",
			data: `{"auths":{"reg.example":{"auth":"dTpwOnE"}}}`,
			want: map[string]credential{"reg.example": {Username: "u", Password: "p:q"}},
		},
		{
			name: "username, password, tokens, email ignored",
			data: `{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","email":"e@x","identitytoken":"it","registrytoken":"rt"}}}`,
			want: map[string]credential{"https://index.docker.io/v1/": {
				Username: "u", Password: "p", IdentityToken: "it", RegistryToken: "rt",
			}},
		},
		{
			name: "no auths",
			data: `{"credsStore":"desktop"}`,
			want: map[string]credential{},
		},
		{
			name:   "legacy dockercfg",
			data:   `{"reg.example":{"auth":"dXNlcjpwYXNz","email":"e@x"}}`,
			legacy: true,
			want:   map[string]credential{"reg.example": {Username: "user", Password: "pass"}},
		},
		{
			name:    "auth not base64",
			data:    `{"auths":{"reg.example":{"auth":"%%%secret%%%"}}}`,
			wantErr: `entry "reg.example": auth field is not base64`,
		},
		{
			name:    "auth without colon",
			data:    `{"auths":{"reg.example":{"auth":"c2VjcmV0"}}}`,
			wantErr: "auth field must be base64 of username:password",
		},
		{
			name:    "syntax error does not quote the document",
			data:    `{"auths":{"reg.example":{"password":s3cret}}}`,
			wantErr: "parse .dockerconfigjson: invalid json at offset",
		},
		{
			name:    "wrong field type",
			data:    `{"auths":{"reg.example":{"password":12345}}}`,
			wantErr: `field "auths.password" must be string, not number`,
		},
		{
			name:    "legacy is not an object of entries",
			data:    `[]`,
			legacy:  true,
			wantErr: "parse .dockercfg",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDockerConfig([]byte(tt.data), tt.legacy)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				for _, secret := range []string{"s3cret", "secret", "12345"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("got message %q, quoting the document", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSecretConfig(t *testing.T) {
	tests := []struct {
		name    string
		secret  corev1.Secret
		wantErr string
	}{
		{
			name: "dockerconfigjson",
			secret: corev1.Secret{Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{
				corev1.DockerConfigJsonKey: []byte(`{"auths":{}}`),
			}},
		},
		{
			name: "dockercfg",
			secret: corev1.Secret{Type: corev1.SecretTypeDockercfg, Data: map[string][]byte{
				corev1.DockerConfigKey: []byte(`{}`),
			}},
		},
		{
			name:    "dockerconfigjson without its key",
			secret:  corev1.Secret{Type: corev1.SecretTypeDockerConfigJson},
			wantErr: `key ".dockerconfigjson" missing`,
		},
		{
			name:    "opaque",
			secret:  corev1.Secret{Type: corev1.SecretTypeOpaque},
			wantErr: `type is "Opaque"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secretConfig(&tt.secret)
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		location string
		host     string
		repo     string
		want     bool
	}{
		{"reg.example", "reg.example", "team/app", true},
		{"https://reg.example", "reg.example", "team/app", true},
		{"http://reg.example/v2/", "reg.example", "team/app", true},
		{"REG.example", "reg.example", "team/app", true},
		{"reg.example:5000", "reg.example", "team/app", false},
		{"reg.example", "reg.example:5000", "team/app", false},
		{"reg.example:5000", "reg.example:5000", "team/app", true},
		{"reg.example/team", "reg.example", "team/app", true},
		{"reg.example/team", "reg.example", "other/app", false},
		{"reg.example/team/app", "reg.example", "team/app", true},
		{"*.example", "reg.example", "app", true},
		{"*.example", "a.reg.example", "app", false},
		{"other.example", "reg.example", "app", false},
		// Docker Hub: every alias matches images of docker.io, which
		// go-containerregistry names index.docker.io.
		{"https://index.docker.io/v1/", "index.docker.io", "library/alpine", true},
		{"index.docker.io", "index.docker.io", "library/alpine", true},
		{"docker.io", "index.docker.io", "library/alpine", true},
		{"registry-1.docker.io", "index.docker.io", "library/alpine", true},
		{"docker.io/team", "index.docker.io", "team/app", true},
		{"docker.io/team", "index.docker.io", "library/alpine", false},
		{"docker.io", "quay.io", "team/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.location+" "+tt.host+"/"+tt.repo, func(t *testing.T) {
			p, ok := parsePattern(tt.location)
			if !ok {
				t.Fatalf("got unparsable location %q", tt.location)
			}
			if got := p.match(tt.host, tt.repo); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPodCredentialsOrder(t *testing.T) {
	tr := newTestRegistry(t)
	secrets := newFakeSecrets(
		dockerSecret("ns", "host", "reg.example", "host-user", "p"),
		dockerSecret("ns", "path", "reg.example/team", "path-user", "p"),
		dockerSecret("ns", "host2", "reg.example", "host2-user", "p"),
		dockerSecret("ns", "hub", "https://index.docker.io/v1/", "hub-user", "p"),
	)
	r := newTestResolver(t, tr, secrets, Config{})
	tests := []struct {
		name string
		host string
		repo string
		want []string // usernames in order
	}{
		{"path before host, secret order kept", "reg.example", "team/app", []string{"path-user", "host-user", "host2-user"}},
		{"host only", "reg.example", "other/app", []string{"host-user", "host2-user"}},
		{"docker hub", "index.docker.io", "library/alpine", []string{"hub-user"}},
		{"no match", "quay.io", "x/y", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds := r.podCredentials(t.Context(), "ns", []string{"host", "path", "host2", "hub", "host"}, tt.host, tt.repo)
			var got []string
			for _, c := range creds {
				got = append(got, c.cred.Username)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
