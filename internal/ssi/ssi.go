// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package ssi is the SecretsStoreImport resource (secretsstoreimports.deckhouse.io,
// v1alpha1) as the CSI node plugin reads it: the Go type of its spec, its
// validation, and getters by namespace and name.
//
// The API server already enforces the CRD's schema; Validate repeats the checks
// the plugin depends on (type, role, file names, sources) because a resource
// may predate a schema change, and because a file name that escapes the volume
// must never reach the writer, whatever the API server accepted.
//
// Error messages name the resource ("SecretsStoreImport ns/name") and say what
// to fix; they never contain a secret value (a SecretsStoreImport holds none).
package ssi

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// Names of the resource in the API.
const (
	Group    = "deckhouse.io"
	Version  = "v1alpha1"
	Kind     = "SecretsStoreImport"
	Resource = "secretsstoreimports"

	// TypeCSI is the only delivery type: files on a CSI volume.
	TypeCSI = "CSI"

	// MaxFiles is the most files one resource may list (the CRD's maxItems).
	MaxFiles = 256
)

// GroupVersionResource addresses the resource with the dynamic client.
var GroupVersionResource = schema.GroupVersionResource{Group: Group, Version: Version, Resource: Resource}

// Sentinels matched with errors.Is.
var (
	// ErrNotFound means there is no such SecretsStoreImport.
	ErrNotFound = errors.New("secretsstoreimport not found")
	// ErrInvalid means the resource exists but cannot be used as it is.
	ErrInvalid = errors.New("invalid secretsstoreimport")
)

// SecretsStoreImport says which secrets are written as files into a pod's
// volume and how to log in to the store to read them.
type SecretsStoreImport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   Spec   `json:"spec"`
	Status Status `json:"status,omitempty"`
}

// Spec is the desired content of the volume. Empty connection fields mean the
// module's settings.
type Spec struct {
	Type  string `json:"type"`
	Role  string `json:"role"`
	Files []File `json:"files,omitempty"`
	// FilesFrom are secrets whose every key becomes a file; Files win.
	FilesFrom []FilesFrom `json:"filesFrom,omitempty"`

	Address       string `json:"address,omitempty"`
	AuthPath      string `json:"authPath,omitempty"`
	Namespace     string `json:"namespace,omitempty"`
	CACert        string `json:"caCert,omitempty"`
	Audience      string `json:"audience,omitempty"`
	SkipTLSVerify bool   `json:"skipTLSVerify,omitempty"`
}

// File is one file of the volume and where its content comes from.
type File struct {
	Name         string `json:"name"`
	DecodeBase64 bool   `json:"decodeBase64,omitempty"`
	// Mode is the file's permission bits, one of FileModes; 0 is
	// DefaultFileMode.
	Mode   int32  `json:"mode,omitempty"`
	Source Source `json:"source"`
}

// FilesFrom is a secret whose every key becomes a file named after it.
type FilesFrom struct {
	DecodeBase64 bool       `json:"decodeBase64,omitempty"`
	Mode         int32      `json:"mode,omitempty"`
	Source       PathSource `json:"source"`
}

// PathSource is a whole secret in the store; Version > 0 pins a KV version
// 2 version; Write, when set, makes it the answer to a write of that body.
type PathSource struct {
	Path    string         `json:"path"`
	Version int            `json:"version,omitempty"`
	Write   map[string]any `json:"write,omitempty"`
}

// Source returns the source of key of the secret.
func (p PathSource) Source(key string) Source {
	return Source{Path: p.Path, Key: key, Version: p.Version, Write: p.Write}
}

// MaxFilesFrom bounds spec.filesFrom.
const MaxFilesFrom = 16

// DefaultFileMode is the mode of a file that sets none: root and the pod's
// fsGroup read it.
const DefaultFileMode = 0o440

// FileModes are the modes a file may ask for: read bits only, owner read
// included. Read-only.
var FileModes = []int32{0o400, 0o404, 0o440, 0o444}

// EffectiveMode is the mode the file is written with.
func (f File) EffectiveMode() int32 {
	if f.Mode == 0 {
		return DefaultFileMode
	}
	return f.Mode
}

// Source is a key of a secret in the store; Version > 0 pins a KV version 2
// version (0: the current one). Write, when not nil, is the body of a write
// to Path whose answer holds Key (PKI issue, …) instead of a read; an empty
// map writes {}.
type Source struct {
	Path    string         `json:"path"`
	Key     string         `json:"key"`
	Version int            `json:"version,omitempty"`
	Write   map[string]any `json:"write,omitempty"`
}

// MaxWriteBody bounds the JSON encoding of a write body.
const MaxWriteBody = 4096

// WriteBody is the canonical JSON of the write body ("" for a read): equal
// bodies encode alike (keys sorted), so one write serves every file of it.
func (s Source) WriteBody() (string, error) {
	if s.Write == nil {
		return "", nil
	}
	b, err := json.Marshal(s.Write)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func validateWrite(write map[string]any, version int) error {
	if write == nil {
		return nil
	}
	if version != 0 {
		return errors.New("version and write are both set: a write has no version, remove one")
	}
	b, err := Source{Write: write}.WriteBody()
	switch {
	case err != nil:
		return fmt.Errorf("write cannot be encoded as JSON: %w", err)
	case len(b) > MaxWriteBody:
		return fmt.Errorf("write is %d bytes as JSON, more than %d", len(b), MaxWriteBody)
	}
	return nil
}

// Ref is "namespace/name", the way messages name the resource.
func (s *SecretsStoreImport) Ref() string {
	return s.Namespace + "/" + s.Name
}

// Validate reports the first problem that makes the resource unusable for a
// CSI volume. The error matches ErrInvalid.
func (s *SecretsStoreImport) Validate() error {
	if err := s.Spec.validate(); err != nil {
		return fmt.Errorf("%w: SecretsStoreImport %s: %w: fix the resource", ErrInvalid, s.Ref(), err)
	}
	return nil
}

func (sp *Spec) validate() error {
	switch {
	case sp.Type != TypeCSI:
		return fmt.Errorf("spec.type is %q, want %q", sp.Type, TypeCSI)
	case sp.Role == "":
		return errors.New("spec.role is empty")
	case len(sp.Files) == 0 && len(sp.FilesFrom) == 0:
		return errors.New("spec.files and spec.filesFrom are empty: list at least one file or secret")
	case len(sp.FilesFrom) > MaxFilesFrom:
		return fmt.Errorf("spec.filesFrom lists %d secrets, more than %d", len(sp.FilesFrom), MaxFilesFrom)
	case len(sp.Files) > MaxFiles:
		return fmt.Errorf("spec.files lists %d files, more than %d", len(sp.Files), MaxFiles)
	case sp.SkipTLSVerify && sp.CACert != "":
		return errors.New("spec.caCert and spec.skipTLSVerify are both set: set one")
	}
	if sp.Audience != "" {
		if err := ValidateAudience(sp.Audience); err != nil {
			return fmt.Errorf("spec.audience: %w", err)
		}
	}
	seen := make(map[string]int, len(sp.Files))
	for i, f := range sp.Files {
		if err := secretref.ValidateFileName(f.Name); err != nil {
			return fmt.Errorf("spec.files[%d].name: %w", i, err)
		}
		if j, dup := seen[f.Name]; dup {
			return fmt.Errorf("spec.files[%d].name %q repeats spec.files[%d].name", i, f.Name, j)
		}
		seen[f.Name] = i
		if err := (secretref.Source{Path: f.Source.Path, Key: f.Source.Key}).Validate(); err != nil {
			return fmt.Errorf("spec.files[%d] (file %q).source: %w", i, f.Name, err)
		}
		if f.Mode != 0 && !slices.Contains(FileModes, f.Mode) {
			return fmt.Errorf("spec.files[%d] (file %q).mode is %#o: use 0400, 0440, 0444 or 0404 (read bits only)", i, f.Name, f.Mode)
		}
		if f.Source.Version < 0 {
			return fmt.Errorf("spec.files[%d] (file %q).source.version is %d: set a KV version 2 version (1 or more), or leave it out for the current one", i, f.Name, f.Source.Version)
		}
		if err := validateWrite(f.Source.Write, f.Source.Version); err != nil {
			return fmt.Errorf("spec.files[%d] (file %q).source: %w", i, f.Name, err)
		}
	}
	for i, f := range sp.FilesFrom {
		if err := secretref.ValidatePath(f.Source.Path); err != nil {
			return fmt.Errorf("spec.filesFrom[%d].source.path: %w", i, err)
		}
		if f.Mode != 0 && !slices.Contains(FileModes, f.Mode) {
			return fmt.Errorf("spec.filesFrom[%d].mode is %#o: use 0400, 0440, 0444 or 0404 (read bits only)", i, f.Mode)
		}
		if f.Source.Version < 0 {
			return fmt.Errorf("spec.filesFrom[%d].source.version is %d: set a KV version 2 version (1 or more), or leave it out for the current one", i, f.Source.Version)
		}
		if err := validateWrite(f.Source.Write, f.Source.Version); err != nil {
			return fmt.Errorf("spec.filesFrom[%d].source: %w", i, err)
		}
	}
	return nil
}
