// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package secretref

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParsePathVersionList(t *testing.T) {
	tests := []struct {
		in   string
		want []PathVersion
	}{
		{"kv/a", []PathVersion{{"kv/a", 0}}},
		{"a/data/x,b/data/y#3", []PathVersion{{"a/data/x", 0}, {"b/data/y", 3}}},
		{" a#1 ,\tb\n", []PathVersion{{"a", 1}, {"b", 0}}},
		{"a#2147483647", []PathVersion{{"a", 2147483647}}},
		{"a,b,a", []PathVersion{{"b", 0}, {"a", 0}}},
		{"a#1,b,a#1", []PathVersion{{"b", 0}, {"a", 1}}},
		{"a#1,a#2,a#1", []PathVersion{{"a", 2}, {"a", 1}}},
		{"a,a#3", []PathVersion{{"a", 0}, {"a", 3}}},
		{"a;b#1", []PathVersion{{"a;b", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePathVersionList(tt.in)
			if err != nil {
				t.Fatalf("ParsePathVersionList(%q): got error %v, want nil", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParsePathVersionList(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePathVersionListErrors(t *testing.T) {
	tests := []struct {
		in, wantPart, wantReason string
	}{
		{"", PartList, "empty list"},
		{" \n", PartList, "empty list"},
		{"a,,b", PartList, "element 2 is empty at byte 2"},
		{"a#1,", PartList, "element 2 is empty at byte 4"},
		{"#1", PartPath, "element 1: empty path"},
		{"a,/b#1", PartPath, `element 2: path starts with "/" at byte 2`},
		{"a #1", PartPath, "' ' at byte 1"},
		{"a#", PartVersion, `element 1: empty version after "#" at byte 2`},
		{"a, b#0", PartVersion, "element 2: " + versionRule + " at byte 5"},
		{"a#01", PartVersion, versionRule},
		{"a#-1", PartVersion, versionRule},
		{"a#1 2", PartVersion, versionRule},
		{"a#1#2", PartVersion, versionRule},
		{"a#k", PartVersion, versionRule},
		{"a#2147483648", PartVersion, versionRule},
		{" \t ", PartList, "empty list"},
		{",", PartList, "element 1 is empty at byte 0"},
		{"a, ,b", PartList, "element 2 is empty at byte 3"},
		{"a,b,", PartList, "element 3 is empty at byte 4"},
		{",a", PartList, "element 1 is empty at byte 0"},
		{"a,  b c", PartPath, "element 2: path contains ' ' at byte 5"},
		{"a,/b", PartPath, `element 2: path starts with "/" at byte 2`},
		{"a,b/../c", PartPath, `element 2: path contains a ".." segment at byte 4`},
		{"a,b#k", PartVersion, versionRule},
		{"a,\x00", PartPath, `'\x00' at byte 2`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePathVersionList(tt.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParsePathVersionList(%q) = %v, %v, want *SyntaxError", tt.in, got, err)
			}
			if se.What != whatList || se.Part != tt.wantPart || !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("got %q (part %q), want part %q and reason containing %q", se.Error(), se.Part, tt.wantPart, tt.wantReason)
			}
			if se.Input != tt.in {
				t.Errorf("error quotes %q, want %q", se.Input, tt.in)
			}
		})
	}
}

func TestFormatPathVersionList(t *testing.T) {
	tests := []struct {
		in   []PathVersion
		want string
	}{
		{nil, ""},
		{[]PathVersion{{"a", 0}}, "a"},
		{[]PathVersion{{"demo-kv/data/common", 0}, {"demo-kv/data/myapp", 3}}, "demo-kv/data/common,demo-kv/data/myapp#3"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got := FormatPathVersionList(tt.in)
			if got != tt.want {
				t.Errorf("FormatPathVersionList(%v) = %q, want %q", tt.in, got, tt.want)
			}
			if len(tt.in) == 0 {
				return
			}
			back, err := ParsePathVersionList(got)
			if err != nil || !slices.Equal(back, tt.in) {
				t.Errorf("ParsePathVersionList(%q) = %v, %v, want %v, nil", got, back, err, tt.in)
			}
		})
	}
}
