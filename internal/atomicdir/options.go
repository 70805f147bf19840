// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package atomicdir

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/deckhouse/secrets-store-integration/internal/secretref"
)

// Default modes; see the package documentation for why.
const (
	DefaultFileMode os.FileMode = 0o440
	DefaultDirMode  os.FileMode = 0o750
)

// File is one file of a payload. Name is a plain file name (see
// secretref.ValidateFileName); Data is its whole content; Mode, when not 0,
// replaces Options.FileMode for this file and follows the same rule.
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
}

// Options control how Write lays files out. The zero value is usable.
type Options struct {
	// FileMode is the permission of every file without a Mode of its own:
	// 0 means DefaultFileMode. It must grant the owner read and may grant
	// others read only.
	FileMode os.FileMode
	// DirMode is the permission of dir and the payload directories: 0 means
	// DefaultDirMode. It must grant the owner rwx and may grant others read
	// and search only (0755 for files others may read).
	DirMode os.FileMode
	// GID, when set, is the group (a pod's fsGroup) given to dir, the
	// payload directories and the files. nil leaves the writer's group.
	GID *int64
	// Clock names payload directories; nil means time.Now.
	Clock func() time.Time

	// fail, set by tests only, is called before each step of a write; an
	// error it returns fails that step.
	fail func(step string) error
}

// Steps of a write, as passed to Options.fail.
const (
	stepMkdir = "mkdir"
	stepWrite = "write"
	stepSeal  = "seal"
	stepLink  = "link"
	stepSwap  = "swap"
	stepPrune = "prune"
)

func (o Options) step(name string) error {
	if o.fail == nil {
		return nil
	}
	return o.fail(name)
}

// resolve fills in defaults and checks the options.
func (o Options) resolve() (Options, error) {
	if o.FileMode == 0 {
		o.FileMode = DefaultFileMode
	}
	if o.DirMode == 0 {
		o.DirMode = DefaultDirMode
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	switch {
	case !validFileMode(o.FileMode):
		return o, fileModeError(o.FileMode)
	case o.DirMode&^fs.ModePerm != 0 || o.DirMode&0o002 != 0 || o.DirMode&0o700 != 0o700:
		return o, fmt.Errorf("directory mode %#o: use owner rwx, optional group bits and at most read and search for others, e.g. 0750", uint32(o.DirMode))
	case o.GID != nil && (*o.GID < 0 || *o.GID > math.MaxInt32):
		return o, fmt.Errorf("group id %d: use 0 to %d", *o.GID, math.MaxInt32)
	}
	return o, nil
}

// validFileMode: permission bits only, owner read, others read at most.
func validFileMode(m os.FileMode) bool {
	return m&^fs.ModePerm == 0 && m&0o400 != 0 && m&0o003 == 0
}

func fileModeError(m os.FileMode) error {
	return fmt.Errorf("file mode %#o: use owner read, optional group bits and at most read for others, e.g. 0440", uint32(m))
}

// mode is the permission f is written with.
func (o Options) mode(f File) os.FileMode {
	if f.Mode != 0 {
		return f.Mode
	}
	return o.FileMode
}

// gid returns the group to give to new entries, or -1 to leave it.
func (o Options) gid() int {
	if o.GID == nil {
		return -1
	}
	return int(*o.GID)
}

// matches reports whether an existing entry already has the mode and group
// Write would give it.
func (o Options) matches(fi fs.FileInfo, perm os.FileMode) bool {
	if fi.Mode().Perm() != perm || fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
		return false
	}
	if o.GID == nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int64(st.Gid) == *o.GID
}

// errDuplicate is matched by the error for a name given twice.
var errDuplicate = errors.New("duplicate file name")

// sortedFiles checks every name and returns a copy of files sorted by name.
// The caller's slice is left as it is.
func sortedFiles(files []File) ([]File, error) {
	out := slices.Clone(files)
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for i, f := range out {
		if err := secretref.ValidateFileName(f.Name); err != nil {
			return nil, err
		}
		if i > 0 && out[i-1].Name == f.Name {
			return nil, fmt.Errorf("%w %q", errDuplicate, f.Name)
		}
		if f.Mode != 0 && !validFileMode(f.Mode) {
			return nil, fmt.Errorf("file %q: %w", f.Name, fileModeError(f.Mode))
		}
	}
	return out, nil
}
