// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Names of the bookkeeping entries; every one starts with "..", which no
// valid file name does.
const (
	dataLink    = "..data"
	tmpDataLink = "..data_tmp"
	// payloadLayout names payload directories after the time of the write,
	// prefixed with "..", as the kubelet does.
	payloadLayout = "2006_01_02_15_04_05.000000000"
)

// isPayloadName reports whether name is a payload directory name: ".."
// followed by a digit (the year), which excludes ..data and ..data_tmp.
func isPayloadName(name string) bool {
	return len(name) > 2 && strings.HasPrefix(name, "..") && name[2] >= '0' && name[2] <= '9' &&
		!strings.ContainsRune(name, '/')
}

// linkTarget is what the top-level link of a file points to.
func linkTarget(name string) string { return dataLink + "/" + name }

// errForeign is matched by errors about entries Write would never create. A
// Write replaces such a payload instead of failing on it forever.
var errForeign = errors.New("entry not created by the writer")

// Current returns the files of the visible payload of dir, sorted by name.
// It resolves ..data once, so the set comes from a single Write. When dir
// holds no payload yet, the error matches fs.ErrNotExist.
func Current(dir string) ([]File, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	defer root.Close()
	cur, err := currentPayload(root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	if cur == "" {
		return nil, fmt.Errorf("read %s: no payload: %w", dir, fs.ErrNotExist)
	}
	infos, err := payloadEntries(root, cur)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	files := make([]File, 0, len(infos))
	for _, fi := range infos {
		data, err := root.ReadFile(path.Join(cur, fi.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", dir, err)
		}
		files = append(files, File{Name: fi.Name(), Data: data})
	}
	return files, nil
}

// currentPayload returns the payload directory ..data points to, or "" when
// there is no ..data.
func currentPayload(root *os.Root) (string, error) {
	target, err := root.Readlink(dataLink)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", err
	case !isPayloadName(target):
		return "", fmt.Errorf("%s points to %q, not to a payload directory: %w", dataLink, target, errForeign)
	}
	return target, nil
}

// payloadEntries returns the metadata of the files of payload directory cur,
// sorted by name. Anything other than a regular file with a valid name is an
// error: payload directories hold nothing else.
func payloadEntries(root *os.Root, cur string) ([]fs.FileInfo, error) {
	d, err := root.Open(cur)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	infos := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			return nil, fmt.Errorf("entry %q in payload %s: %w", e.Name(), cur, errForeign)
		}
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		infos = append(infos, fi)
	}
	slices.SortFunc(infos, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return infos, nil
}

// samePayload reports whether payload directory cur holds exactly files
// (sorted by name) with the modes and group opt gives. Metadata is compared
// first; contents are then compared in full for every file, in constant time
// per byte, and the copies read are wiped.
func samePayload(root *os.Root, cur string, files []File, opt Options) (bool, error) {
	fi, err := root.Lstat(cur)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // ..data dangles: write a new payload
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() || !opt.matches(fi, opt.DirMode) {
		return false, nil
	}
	infos, err := payloadEntries(root, cur)
	if errors.Is(err, errForeign) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(infos) != len(files) {
		return false, nil
	}
	for i, fi := range infos {
		if fi.Name() != files[i].Name || fi.Size() != int64(len(files[i].Data)) || !opt.matches(fi, opt.mode(files[i])) {
			return false, nil
		}
	}
	same := 1
	for _, f := range files {
		old, err := root.ReadFile(path.Join(cur, f.Name))
		if err != nil {
			return false, err
		}
		same &= subtle.ConstantTimeCompare(old, f.Data)
		clear(old)
	}
	return same == 1, nil
}
