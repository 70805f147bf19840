// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package csinode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// tmpStatePrefix starts the names of state files being written.
const tmpStatePrefix = ".tmp-"

// volumeState is what the plugin remembers about a published volume. It
// holds no secret content and no token, and is persisted as JSON.
type volumeState struct {
	VolumeID           string    `json:"volumeID"`
	TargetPath         string    `json:"targetPath"`
	Pod                podRef    `json:"pod"`
	ServiceAccount     string    `json:"serviceAccount"`
	SecretsStoreImport string    `json:"secretsStoreImport"`
	GID                *int64    `json:"gid,omitempty"`
	PublishedAt        time.Time `json:"publishedAt"`
	LastAttempt        time.Time `json:"lastAttempt"`
	LastSuccess        time.Time `json:"lastSuccess"`
	Failures           int       `json:"consecutiveFailures,omitempty"`
	// Version is the HMAC of the content under this process's key; it is
	// meaningless to another process and so not persisted.
	Version string `json:"-"`
}

// states is the set of published volumes by target path, mirrored to one
// file per volume in dir. mu guards the map; callers serialize changes of
// one volume with the per-target lock, so a file is never written by two
// goroutines at once.
type states struct {
	dir string
	mu  sync.Mutex
	m   map[string]*volumeState
}

// loadStates reads every state file of dir, creating dir if needed. Files
// that cannot be read or name a target that no longer exists are removed:
// the state only spares work, and kubelet republishes what it still needs.
func loadStates(dir string, log *slog.Logger) (*states, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read state directory: %w", err)
	}
	st := &states{dir: dir, m: make(map[string]*volumeState)}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpStatePrefix) {
			_ = os.Remove(filepath.Join(dir, name)) // left by a crash during put
			continue
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".json") {
			continue
		}
		p := filepath.Join(dir, name)
		vs, err := readState(p)
		if err == nil && filepath.Base(st.file(vs.TargetPath)) != name {
			err = errors.New("file name does not match the target path")
		}
		if err == nil {
			if _, statErr := os.Lstat(vs.TargetPath); errors.Is(statErr, fs.ErrNotExist) {
				err = errors.New("the target path is gone")
			}
		}
		if err != nil {
			log.Warn("dropping volume state", "file", p, "error", err)
			_ = os.Remove(p)
			continue
		}
		st.m[vs.TargetPath] = vs
	}
	return st, nil
}

func readState(p string) (*volumeState, error) {
	b, err := os.ReadFile(p) //nolint:gosec // p is in the plugin's own state directory
	if err != nil {
		return nil, err
	}
	var vs volumeState
	if err := json.Unmarshal(b, &vs); err != nil {
		return nil, err
	}
	if vs.TargetPath == "" || vs.VolumeID == "" {
		return nil, errors.New("incomplete state")
	}
	return &vs, nil
}

// file is the state file of target: named after a hash of the path, which
// is no secret.
func (st *states) file(target string) string {
	sum := sha256.Sum256([]byte(target))
	return filepath.Join(st.dir, hex.EncodeToString(sum[:16])+".json")
}

// get returns a copy of the state of target.
func (st *states) get(target string) (volumeState, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	vs, ok := st.m[target]
	if !ok {
		return volumeState{}, false
	}
	return *vs, true
}

func (st *states) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.m)
}

// put records vs in memory and on disk (write to a temporary file, then
// rename). The memory copy is updated even if the disk write fails.
func (st *states) put(vs volumeState) error {
	st.mu.Lock()
	st.m[vs.TargetPath] = &vs
	st.mu.Unlock()
	b, err := json.Marshal(&vs)
	if err != nil {
		return fmt.Errorf("save volume state: %w", err)
	}
	p := st.file(vs.TargetPath)
	tmp, err := os.CreateTemp(st.dir, tmpStatePrefix)
	if err != nil {
		return fmt.Errorf("save volume state: %w", err)
	}
	_, err = tmp.Write(b)
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save volume state: %w", err)
	}
	return nil
}

// drop forgets target.
func (st *states) drop(target string) error {
	st.mu.Lock()
	delete(st.m, target)
	st.mu.Unlock()
	if err := os.Remove(st.file(target)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove volume state: %w", err)
	}
	return nil
}

// podsOf is the number of pods with a published volume of k.
func (st *states) podsOf(k ssiKey) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	pods := map[string]struct{}{}
	for _, vs := range st.m {
		if vs.Pod.Namespace == k.namespace && vs.SecretsStoreImport == k.name {
			pods[vs.Pod.UID] = struct{}{}
		}
	}
	return len(pods)
}

// used is every SecretsStoreImport of the published volumes.
func (st *states) used() []ssiKey {
	st.mu.Lock()
	defer st.mu.Unlock()
	seen := map[ssiKey]struct{}{}
	for _, vs := range st.m {
		seen[ssiKey{vs.Pod.Namespace, vs.SecretsStoreImport}] = struct{}{}
	}
	return slices.Collect(maps.Keys(seen))
}
