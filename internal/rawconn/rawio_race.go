// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

//go:build race

package rawconn

import (
	"errors"
	"syscall"
)

// rawIO is syscall.Read or syscall.Write under the race detector: their
// annotations are what tell it that data a peer wrote before answering
// happens before the answer is read, and RawSyscall has none. The socket is
// non-blocking either way.
func rawIO(fd uintptr, b []byte, write bool) (int, syscall.Errno) {
	for {
		var (
			n   int
			err error
		)
		if write {
			n, err = syscall.Write(int(fd), b)
		} else {
			n, err = syscall.Read(int(fd), b)
		}
		var errno syscall.Errno
		switch {
		case err == nil:
			return n, 0
		case errors.As(err, &errno) && errno == syscall.EINTR:
			continue
		case errors.As(err, &errno):
			return 0, errno
		}
		return 0, syscall.EIO // syscall.Read and Write return only Errno
	}
}
