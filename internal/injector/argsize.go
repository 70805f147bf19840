// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"unsafe"
)

// ErrTooLarge means the command's arguments and environment exceed what
// execve accepts (E2BIG). It is a setting or reference problem, so the exit
// status is ExitFailure, not ExitNotExecutable: the command itself is fine.
var ErrTooLarge = errors.New("too large for execve")

// Limits of execve(2) on Linux (fs/exec.c, include/uapi/linux/limits.h).
const (
	// argMaxFloor is ARG_MAX: the room for all strings whatever the stack
	// limit, however small.
	argMaxFloor = 128 << 10
	// argMaxCeiling is 3/4 of _STK_LIM (8 MiB): the most room for all
	// strings, however large the stack limit (unlimited included).
	argMaxCeiling = 8 << 20 / 4 * 3
	// ptrSize is the size of one argv or envp pointer.
	ptrSize = uint64(unsafe.Sizeof(uintptr(0)))
	// largestNamed is how many of the largest variables a total error names.
	largestNamed = 3
)

// execLimits are the limits the kernel applies to one execve.
type execLimits struct {
	// strlen is MAX_ARG_STRLEN, 32 pages: the most bytes of one argument
	// or "NAME=value" string, its terminating NUL included.
	strlen uint64
	// stack is the soft RLIMIT_STACK, which the total room derives from.
	stack uint64
}

// currentLimits reads the limits that apply to this process.
func currentLimits() execLimits {
	l := execLimits{strlen: 32 * 4096, stack: 8 << 20} // 4 KiB pages and 8 MiB: the usual defaults
	if page := os.Getpagesize(); page > 0 {
		l.strlen = 32 * uint64(page)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_STACK, &rl); err == nil {
		l.stack = rl.Cur
	}
	return l
}

// total is the room for all strings (NUL included) and their pointers: a
// quarter of the stack limit, at least ARG_MAX, at most 3/4 of _STK_LIM.
func (l execLimits) total() uint64 {
	return max(min(l.stack/4, argMaxCeiling), argMaxFloor)
}

// checkArgSize reports what execve of path would refuse with E2BIG: an
// argument or variable over MAX_ARG_STRLEN, or all strings and pointers
// over the total room. It names variables, never their values.
func checkArgSize(path string, argv, env []string, l execLimits) error {
	var errs []error
	for i, a := range argv {
		if n := uint64(len(a)) + 1; n > l.strlen {
			errs = append(errs, fmt.Errorf("argument %d of the command takes %d bytes, over the kernel's limit of %d bytes "+
				"for one argument (MAX_ARG_STRLEN): %w: shorten the argument", i, n, l.strlen, ErrTooLarge))
		}
	}
	for _, kv := range env {
		if n := uint64(len(kv)) + 1; n > l.strlen {
			errs = append(errs, fmt.Errorf("environment variable %q takes %d bytes as NAME=value, over the kernel's limit of %d bytes "+
				"for one variable (MAX_ARG_STRLEN): %w: deliver it as a file with a CSI volume (a SecretsStoreImport) instead",
				varName(kv), n, l.strlen, ErrTooLarge))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	size := uint64(len(path)) + 1 + (uint64(max(len(argv), 1))+uint64(len(env)))*ptrSize
	for _, s := range slices.Concat(argv, env) {
		size += uint64(len(s)) + 1
	}
	if size > l.total() {
		return fmt.Errorf("the command's arguments and environment take %d bytes, over the kernel's limit of %d bytes "+
			"(a quarter of the stack size limit %s, at least 128 KiB, at most 6 MiB): %w: %s",
			size, l.total(), stackString(l.stack), ErrTooLarge, largestAdvice(env))
	}
	return nil
}

// tooLargeError explains an E2BIG from execve itself, which checkArgSize
// did not predict (a kernel that counts differently).
func tooLargeError(path string, env []string, err error) error {
	return fmt.Errorf("exec %q: %w: %w: the kernel refused the command's arguments and environment: %s",
		path, ErrTooLarge, err, largestAdvice(env))
}

// largestAdvice names the largest variables of env with their sizes and
// says what to do.
func largestAdvice(env []string) string {
	sorted := slices.SortedStableFunc(slices.Values(env), func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	var names []string
	for _, kv := range sorted[:min(largestNamed, len(sorted))] {
		names = append(names, fmt.Sprintf("%q (%d bytes)", varName(kv), len(kv)+1))
	}
	if len(names) == 0 {
		return "shorten the command's arguments"
	}
	return "the largest variables are " + strings.Join(names, ", ") +
		": deliver large secrets as files with a CSI volume (a SecretsStoreImport) instead"
}

// varName is the name part of "NAME=value"; never the value. An entry
// without "=" is not named: it could be anything.
func varName(kv string) string {
	name, _, ok := strings.Cut(kv, "=")
	if !ok {
		return "(an entry without =)"
	}
	return name
}

func stackString(stack uint64) string {
	if stack == ^uint64(0) { // RLIM_INFINITY
		return "unlimited"
	}
	return fmt.Sprintf("%d bytes", stack)
}
