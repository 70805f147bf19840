// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Clear removes everything Write created in dir: the <name> links, ..data
// and the payload directories. Other entries and dir itself stay. A missing
// dir is not an error, so Clear can be retried.
func Clear(dir string) error {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	defer root.Close()
	entries, err := readTop(root)
	if err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	// Links first, then ..data, then payloads: a reader never finds a link
	// whose payload is gone while ..data still points to it.
	var errs []error
	for _, e := range entries {
		if ownLink(root, e) {
			errs = append(errs, removeEntry(root, e.Name()))
		}
	}
	errs = append(errs, removeEntry(root, dataLink), removeEntry(root, tmpDataLink))
	for _, e := range entries {
		if e.IsDir() && isPayloadName(e.Name()) {
			errs = append(errs, root.RemoveAll(e.Name()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	return nil
}

// prune removes what the visible payload keep no longer needs: links of
// names that left the set, payload directories other than keep (the
// previous one, and any left by a crash), and a stale ..data_tmp.
func (w *writer) prune(keep string) error {
	if err := w.opt.step(stepPrune); err != nil {
		return fmt.Errorf("remove old entries: %w", err)
	}
	entries, err := readTop(w.root)
	if err != nil {
		return fmt.Errorf("remove old entries: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if ownLink(w.root, e) && !w.has(e.Name()) {
			errs = append(errs, removeEntry(w.root, e.Name()))
		}
	}
	errs = append(errs, removeEntry(w.root, tmpDataLink))
	for _, e := range entries {
		if e.IsDir() && isPayloadName(e.Name()) && e.Name() != keep {
			errs = append(errs, w.root.RemoveAll(e.Name()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove old entries: %w", err)
	}
	return nil
}

// has reports whether name is in the set being written.
func (w *writer) has(name string) bool {
	_, ok := slices.BinarySearchFunc(w.files, name, func(f File, n string) int {
		return strings.Compare(f.Name, n)
	})
	return ok
}

func readTop(root *os.Root) ([]fs.DirEntry, error) {
	d, err := root.Open(".")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// ownLink reports whether e is a top-level link Write creates: a symlink
// named like a file that points to ..data/<its name>.
func ownLink(root *os.Root, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 || strings.HasPrefix(e.Name(), ".") {
		return false
	}
	target, err := root.Readlink(e.Name())
	return err == nil && target == linkTarget(e.Name())
}

// removeEntry removes one entry; a missing one is not an error.
func removeEntry(root *os.Root, name string) error {
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
