// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package rawconn

import (
	"syscall"
	"time"
	"unsafe"
)

// Sleep blocks the calling thread for d in a system call the Go runtime does
// not see, or until a signal reaches the thread. Meanwhile the runtime's
// network poller does not run on it, so the data that arrives on a
// connection does not wake it; time.Sleep waits in that poller, which wakes
// at every packet of every connection it watches. The thread keeps its
// processor: with GOMAXPROCS=1 no other goroutine runs until Sleep returns,
// which is why d should be a few milliseconds. The runtime's own signals
// (preemption, a stop of the world for the garbage collector) end it early.
func Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	ts := syscall.NsecToTimespec(int64(d))
	// An interrupted sleep is not resumed: the signal that ended it may be
	// the runtime's, waiting for this thread.
	_, _, _ = syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0) //nolint:gosec // G103: ts stays referenced for the call
}
