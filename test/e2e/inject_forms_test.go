// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Every value form the injector resolves, in one pod each: templates over a secret's data
// (with Sprig functions and a version), inline references in longer text, env-from-path
// entries with a version, and secrets-store:login where it is not allowed.
func TestInjectFormsValues(t *testing.T) {
	setupForms(t)
	v1 := formsDBVersions[0]
	app1 := formsAppVersions[0]
	tests := []struct {
		name      string
		pod       *corev1.Pod
		wantPhase corev1.PodPhase
		lines     []string // lines the log must contain, whole
		text      []string // substrings the log must contain
		absent    []string // substrings the log must not contain
	}{
		{
			name: "template in place of the key",
			pod: formsPod("forms-template", "env | sort", nil,
				env("DSN", formsRef("db", "postgresql://${.username}:${.password}@${.host}/app"))),
			wantPhase: corev1.PodSucceeded,
			lines:     []string{"DSN=postgresql://forms-user:" + formsPassTwo + "@db.forms.test/app"},
			absent:    []string{"secrets-store:", "${"},
		},
		{
			name: "template with Sprig functions",
			pod: formsPod("forms-sprig", "env | sort", nil,
				env("UPPER", formsRef("db", "${.username | upper}")),
				env("B64", formsRef("db", "${.password | b64enc}")),
				env("JOINED", formsRef("db", `${printf "%s@%s" .username (.host | replace "." "-")}`))),
			wantPhase: corev1.PodSucceeded,
			lines: []string{
				"UPPER=FORMS-USER",
				"B64=" + base64.StdEncoding.EncodeToString([]byte(formsPassTwo)),
				"JOINED=forms-user@db-forms-test",
			},
		},
		{
			name: "template with a version",
			pod: formsPod("forms-template-version", "env | sort", nil,
				env("OLD", formsRef("db", "${.password}", v1)),
				env("OLD_DSN", formsRef("db", "${.username}:${.password}", v1))),
			wantPhase: corev1.PodSucceeded,
			lines:     []string{"OLD=" + formsPassOne, "OLD_DSN=forms-user:" + formsPassOne},
			absent:    []string{formsPassTwo},
		},
		{
			name: "inline references inside a longer value",
			pod: formsPod("forms-inline", "env | sort", nil,
				env("JDBC", "jdbc:x://h/db?password=${"+formsRef("db", "password")+"}&old=${"+formsRef("db", "password", v1)+"}"),
				env("SHELLISH", "home=${HOME} user=${"+formsRef("db", "username")+"}")),
			wantPhase: corev1.PodSucceeded,
			lines: []string{
				"JDBC=jdbc:x://h/db?password=" + formsPassTwo + "&old=" + formsPassOne,
				"SHELLISH=home=${HOME} user=forms-user",
			},
			absent: []string{"secrets-store:"},
		},
		{
			name: "env-from-path entry with a version",
			pod: formsPod("forms-efp-version", "env | sort",
				map[string]string{"env-from-path": fmt.Sprintf("%s/data/app#%d", formsKV, app1)}),
			wantPhase: corev1.PodSucceeded,
			lines:     []string{"APP_A=a-one", "APP_B=b-one"},
			absent:    []string{"APP_C=", "a-two"},
		},
		{
			name: "env-from-path entries with and without a version, later entries win",
			pod: formsPod("forms-efp-mixed", "env | sort",
				map[string]string{"env-from-path": fmt.Sprintf("%s/data/app,%s/data/app#%d", formsKV, formsKV, app1)}),
			wantPhase: corev1.PodSucceeded,
			lines:     []string{"APP_A=a-one", "APP_B=b-one", "APP_C=c-two"},
		},
		{
			name: "secrets-store:login in a variable other than VAULT_TOKEN",
			pod: formsPod("forms-login-elsewhere", "env | sort", nil,
				env("MY_TOKEN", "secrets-store:login"),
				env("PASS", formsRef("db", "password"))),
			wantPhase: corev1.PodFailed,
			text:      []string{"MY_TOKEN"},
			absent:    []string{formsPassTwo},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			phase, logs := runInjected(t, tt.pod)
			if phase != tt.wantPhase {
				t.Fatalf("phase: got %s, want %s; log:\n%s", phase, tt.wantPhase, formsRedact(logs))
			}
			lines := strings.Split(strings.ReplaceAll(logs, "\r", ""), "\n")
			for _, w := range tt.lines {
				if !slices.Contains(lines, w) {
					t.Errorf("log lacks the line %q; log:\n%s", w, formsRedact(logs))
				}
			}
			for _, w := range tt.text {
				if !strings.Contains(logs, w) {
					t.Errorf("log lacks %q; log:\n%s", w, formsRedact(logs))
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(logs, a) {
					t.Errorf("log contains %q; log:\n%s", a, formsRedact(logs))
				}
			}
			if m := tokenShape.FindString(logs); m != "" {
				t.Errorf("log contains a store token (%.6s…)", m)
			}
		})
	}
}
