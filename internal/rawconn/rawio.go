// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !race

package rawconn

import (
	"syscall"
	"unsafe"
)

// rawIO reads into b, or writes b when write is set, with one system call
// that the runtime does not see, repeated when a signal interrupts it.
func rawIO(fd uintptr, b []byte, write bool) (int, syscall.Errno) {
	trap := uintptr(syscall.SYS_READ)
	if write {
		trap = syscall.SYS_WRITE
	}
	for {
		r, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b))) //nolint:gosec // G103: b stays referenced for the call
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return 0, errno
		}
		return int(r), 0
	}
}
