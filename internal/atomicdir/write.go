// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
)

// maxNameTries bounds the search for a free payload directory name when the
// clock repeats itself.
const maxNameTries = 100

// Write makes files the visible content of dir, which must exist. If the
// current payload already holds exactly these names, bytes, modes and group,
// nothing is written and changed is false (missing or obsolete <name> links
// are still repaired). Otherwise a new payload is published as described in
// the package documentation and changed is true.
//
// Names are checked before anything is written. An error with changed false
// leaves the previous payload visible and intact and removes everything the
// call created. An error with changed true comes from the clean-up after the
// commit: the new payload is visible and complete, and the next Write
// finishes the clean-up.
func Write(dir string, files []File, opt Options) (changed bool, err error) {
	opt, err = opt.resolve()
	if err != nil {
		return false, fmt.Errorf("write %s: %w", dir, err)
	}
	files, err = sortedFiles(files)
	if err != nil {
		return false, fmt.Errorf("write %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false, fmt.Errorf("write %s: %w", dir, err)
	}
	defer root.Close()

	w := &writer{root: root, files: files, opt: opt}
	changed, err = w.write()
	if err != nil {
		return changed, fmt.Errorf("write %s: %w", dir, err)
	}
	return changed, nil
}

// writer holds the state of one Write.
type writer struct {
	root  *os.Root
	files []File // sorted by name, names valid and unique
	opt   Options
}

func (w *writer) write() (bool, error) {
	if err := w.setDirAttrs(); err != nil {
		return false, err
	}
	cur, err := currentPayload(w.root)
	if errors.Is(err, errForeign) {
		cur = "" // replace whatever ..data points to
	} else if err != nil {
		return false, err
	}
	if cur != "" {
		same, err := samePayload(w.root, cur, w.files, w.opt)
		if err != nil {
			return false, fmt.Errorf("compare with payload %s: %w", cur, err)
		}
		if same {
			// Repair links lost since the payload was written, as the
			// kubelet does (kubernetes/kubernetes#121472).
			if _, err := w.link(); err != nil {
				return false, err
			}
			return false, w.prune(cur)
		}
	}
	name, err := w.publish()
	if err != nil {
		return false, err
	}
	// Committed: from here on errors leave the new payload visible.
	return true, errors.Join(w.syncDir(), w.prune(name))
}

// setDirAttrs gives dir itself DirMode and the group, so that the group can
// search it; a tmpfs mounted with the same mode and gid is left untouched.
func (w *writer) setDirAttrs() error {
	d, err := w.root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return err
	}
	if w.opt.matches(fi, w.opt.DirMode) {
		return nil
	}
	if err := w.setAttrs(d, w.opt.DirMode); err != nil {
		return fmt.Errorf("set mode and group of directory: %w", err)
	}
	return nil
}

// publish writes a new payload, links its names and swaps ..data to it. On
// error it removes what it created; the previous payload stays visible.
func (w *writer) publish() (string, error) {
	name, err := w.mkdirPayload()
	if err != nil {
		return "", err
	}
	links, err := w.stage(name)
	if err != nil {
		return "", errors.Join(err, w.undo(name, links))
	}
	return name, nil
}

// stage fills payload directory name, links the new names and swaps ..data.
// It returns the links it created, for undo.
func (w *writer) stage(name string) ([]string, error) {
	if err := w.fill(name); err != nil {
		return nil, err
	}
	links, err := w.link()
	if err != nil {
		return links, err
	}
	return links, w.swap(name)
}

// mkdirPayload creates an empty payload directory named after the clock,
// accessible to the owner only until it is sealed.
func (w *writer) mkdirPayload() (string, error) {
	if err := w.opt.step(stepMkdir); err != nil {
		return "", fmt.Errorf("create payload directory: %w", err)
	}
	base := ".." + w.opt.Clock().UTC().Format(payloadLayout)
	name := base
	for i := 1; ; i++ {
		err := w.root.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) || i == maxNameTries {
			return "", fmt.Errorf("create payload directory: %w", err)
		}
		name = base + "_" + strconv.Itoa(i)
	}
}

// fill writes every file into payload directory name, then gives the
// directory its group and mode and flushes it.
func (w *writer) fill(name string) error {
	for _, f := range w.files {
		if err := w.writeFile(path.Join(name, f.Name), f.Data, w.opt.mode(f)); err != nil {
			return fmt.Errorf("write file %q: %w", f.Name, err)
		}
	}
	if err := w.opt.step(stepSeal); err != nil {
		return fmt.Errorf("seal payload directory: %w", err)
	}
	d, err := w.root.Open(name)
	if err != nil {
		return fmt.Errorf("seal payload directory: %w", err)
	}
	defer d.Close()
	if err := w.setAttrs(d, w.opt.DirMode); err != nil {
		return fmt.Errorf("seal payload directory: %w", err)
	}
	return nil
}

// writeFile creates p, which must not exist, and writes data to it.
func (w *writer) writeFile(p string, data []byte, mode os.FileMode) (err error) {
	if err := w.opt.step(stepWrite); err != nil {
		return err
	}
	f, err := w.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return w.setAttrs(f, mode)
}

// setAttrs gives an open file or directory its group and mode, regardless of
// the umask, and flushes it to storage.
func (w *writer) setAttrs(f *os.File, mode os.FileMode) error {
	if gid := w.opt.gid(); gid >= 0 {
		if err := f.Chown(-1, gid); err != nil {
			return err
		}
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	return f.Sync()
}

// link creates the missing top-level links of the new set and returns the
// names it created. Links of new names dangle until the swap, which a reader
// cannot tell from a name that does not exist yet.
func (w *writer) link() ([]string, error) {
	var created []string
	for _, f := range w.files {
		target, err := w.root.Readlink(f.Name)
		switch {
		case err == nil && target == linkTarget(f.Name):
			continue
		case err == nil:
			return created, fmt.Errorf("link %q: it points to %q, not into %s: remove it and write again", f.Name, target, dataLink)
		case !errors.Is(err, fs.ErrNotExist):
			return created, fmt.Errorf("link %q: %w: remove it and write again", f.Name, err)
		}
		if err := w.opt.step(stepLink); err != nil {
			return created, fmt.Errorf("link %q: %w", f.Name, err)
		}
		if err := w.root.Symlink(linkTarget(f.Name), f.Name); err != nil {
			return created, fmt.Errorf("link %q: %w", f.Name, err)
		}
		created = append(created, f.Name)
	}
	return created, nil
}

// swap points ..data at payload directory name with one rename(2).
func (w *writer) swap(name string) error {
	if err := w.opt.step(stepSwap); err != nil {
		return fmt.Errorf("swap %s: %w", dataLink, err)
	}
	if err := w.root.Remove(tmpDataLink); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("swap %s: %w", dataLink, err)
	}
	if err := w.root.Symlink(name, tmpDataLink); err != nil {
		return fmt.Errorf("swap %s: %w", dataLink, err)
	}
	if err := w.root.Rename(tmpDataLink, dataLink); err != nil {
		return errors.Join(fmt.Errorf("swap %s: %w", dataLink, err), w.root.Remove(tmpDataLink))
	}
	return nil
}

// syncDir flushes dir after the swap, so that the new ..data and links
// survive a crash where the storage persists at all (tmpfs does not).
func (w *writer) syncDir() error {
	d, err := w.root.Open(".")
	if err != nil {
		return fmt.Errorf("flush directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("flush directory: %w", err)
	}
	return nil
}

// undo removes the links and the payload directory a failed publish created.
func (w *writer) undo(payload string, links []string) error {
	var errs []error
	for _, l := range links {
		if err := w.root.Remove(l); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := w.root.RemoveAll(payload); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("clean up after failed write: %w", errors.Join(errs...))
	}
	return nil
}
