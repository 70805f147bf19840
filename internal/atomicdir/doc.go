// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

// Package atomicdir makes a set of files the content of a directory so that
// readers never see a mix of an old and a new set. It uses the on-disk layout
// of the kubelet's writer for Secret and ConfigMap volumes, so programs and
// file watchers that work with those volumes work here unchanged:
//
//	<dir>/..2026_11_23_19_30_00.123456789/   the payload: one regular file per name
//	<dir>/..data -> ..2026_11_23_19_30_00.123456789
//	<dir>/<name> -> ..data/<name>
//
// A payload directory is never modified once ..data points to it. A new set
// of files is written to a new payload directory (each file created with
// O_EXCL, written, given its mode and group, fsync'ed; then the directory
// itself), the missing <name> links are created, and ..data is replaced with
// rename(2), which is atomic. Only then are obsolete <name> links and the
// previous payload directory removed. A failure before the rename removes
// what the call created and leaves the previous payload visible and intact;
// the rename is the commit point.
//
// # What readers can rely on
//
//   - Every successful read of a file, through any path, returns the complete
//     content of that file as one Write wrote it: never a torn or partly
//     written file, never an empty file unless it was written empty.
//   - A reader that resolves ..data once (os.Readlink) and then reads every
//     file as <dir>/<payload>/<name> gets a set from a single Write. The
//     payload it resolved may be removed by the next Write while it reads;
//     the read then fails with ENOENT and the reader resolves ..data again.
//   - Reading the top-level <name> links one after another (or
//     <dir>/..data/<name>, which resolves ..data again for every file) can
//     straddle a swap and mix files of two Writes, and a file present in both
//     sets can briefly fail with ENOENT while the previous payload is being
//     removed. This is exactly what the kubelet's writer offers; readers that
//     need a consistent set resolve ..data once, or watch ..data and re-read
//     after it changes.
//   - When ..data changes, every <name> link of the new set already exists
//     (links are created before the swap, unlike the kubelet's writer).
//     Links of names that left the set dangle until they are removed just
//     after the swap.
//   - ..data itself never disappears once the first Write has succeeded, so
//     inotify watchers of ..data see one IN_MOVED_TO per change.
//
// # Permissions
//
// Files are not readable by others unless asked: 0440 by default, directories
// 0750 (the owner, the writer, needs write and search permission on
// directories to replace and remove entries even without CAP_DAC_OVERRIDE).
// A file may have a mode of its own; others may get read permission on files
// and read and search permission on directories (0444 and 0755), never write. With a GID
// (a pod's fsGroup) the files, the payload directories and dir itself belong
// to that group, so a non-root process in the group can read the files, as
// with the kubelet's fsGroup handling of Secret volumes.
//
// # Concurrency and contents
//
// Writes to one dir must be serialized by the caller; Write and Clear on
// different directories, and Current at any time, are safe. The package
// never logs, and no error it returns contains file contents; they name the
// directory, file names and the failed step only.
//
// The package is written for Linux (the CSI node plugin's platform).
package atomicdir
