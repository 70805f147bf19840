// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// bigValue is a value made of a marker that no error may contain.
func bigValue(n int) string {
	const marker = "VALUE-SECRET-"
	return strings.Repeat(marker, n/len(marker)+1)[:n]
}

func TestExecLimitsTotal(t *testing.T) {
	tests := []struct {
		stack, want uint64
	}{
		{8 << 20, 2 << 20},          // the usual 8 MiB stack: a quarter
		{256 << 10, argMaxFloor},    // a small stack still gets ARG_MAX
		{64 << 20, argMaxCeiling},   // a large one at most 6 MiB
		{^uint64(0), argMaxCeiling}, // unlimited
	}
	for _, tt := range tests {
		if got := (execLimits{stack: tt.stack}).total(); got != tt.want {
			t.Errorf("stack %d: got %d, want %d", tt.stack, got, tt.want)
		}
	}
}

func TestCheckArgSize(t *testing.T) {
	lim := execLimits{strlen: 128 << 10, stack: 8 << 20}
	small := execLimits{strlen: 128 << 10, stack: 256 << 10} // 128 KiB in all
	tests := []struct {
		name string
		argv []string
		env  []string
		lim  execLimits
		want []string // parts of the error; none for success
	}{
		{
			name: "a variable at the limit", argv: []string{"app"},
			env: []string{"BIG=" + bigValue(128<<10-len("BIG=")-1)}, lim: lim,
		},
		{
			name: "a variable over the limit", argv: []string{"app"},
			env: []string{"PATH=/bin", "BIG=" + bigValue(128<<10-len("BIG="))}, lim: lim,
			want: []string{`environment variable "BIG" takes 131073 bytes`, "limit of 131072 bytes", "MAX_ARG_STRLEN", "CSI volume"},
		},
		{
			name: "every variable over the limit is named", argv: []string{"app"},
			env: []string{"A=" + bigValue(200_000), "B=x", "C=" + bigValue(300_000)}, lim: lim,
			want: []string{`"A" takes 200003 bytes`, `"C" takes 300003 bytes`},
		},
		{
			name: "an argument over the limit", argv: []string{"app", bigValue(200_000)}, lim: lim,
			want: []string{"argument 1 of the command takes 200001 bytes"},
		},
		{
			name: "the total over the room", argv: []string{"app"},
			env: []string{"A=" + bigValue(50_000), "B=" + bigValue(70_000), "C=" + bigValue(12_000), "D=x"}, lim: small,
			want: []string{
				"over the kernel's limit of 131072 bytes", "stack size limit 262144 bytes",
				`the largest variables are "B" (70003 bytes), "A" (50003 bytes), "C" (12003 bytes)`, "CSI volume",
			},
		},
		{
			name: "the total within the room", argv: []string{"app"},
			env: []string{"A=" + bigValue(50_000), "B=" + bigValue(70_000)}, lim: small,
		},
		{
			name: "an entry without = is not quoted", argv: []string{"app"},
			env: []string{bigValue(200_000)}, lim: lim, want: []string{"(an entry without =)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkArgSize("/bin/app", tt.argv, tt.env, tt.lim)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) || ExitCode(err) != ExitFailure {
				t.Fatalf("got %v (exit %d), want ErrTooLarge and exit %d", err, ExitCode(err), ExitFailure)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "VALUE-SECRET") {
				t.Errorf("got a value in the error: %.200q", err)
			}
		})
	}
}

// An E2BIG from execve itself is reported the same way, not as a command
// that cannot be executed.
func TestExecErrorE2BIG(t *testing.T) {
	err := execError("/bin/app", []string{"A=" + bigValue(10)}, syscall.E2BIG)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, syscall.E2BIG) || ExitCode(err) != ExitFailure {
		t.Fatalf("got %v (exit %d), want ErrTooLarge, E2BIG and exit %d", err, ExitCode(err), ExitFailure)
	}
	if strings.Contains(err.Error(), "check the container's command") || strings.Contains(err.Error(), "VALUE-SECRET") {
		t.Errorf("got %q, want no advice about the command and no value", err)
	}
}

// checkArgSize draws the line where this machine's kernel does: the largest
// environment it accepts is accepted by execve, one byte more is refused
// by both with E2BIG. Each case starts this test binary as the helper.
func TestCheckArgSizeMatchesTheKernel(t *testing.T) {
	exe := testExecutable(t)
	lim := currentLimits()
	base := []string{helperEnv + "=1"}
	// one grows a variable to n bytes of "NAME=value" plus NUL.
	one := func(n uint64) []string { return append(base, "BIG="+bigValue(int(n)-len("BIG=")-1)) }
	// total fills the room exactly with variables of at most strlen/2
	// bytes, then adds extra bytes to the last one.
	total := func(extra int) []string {
		env := slices.Clone(base)
		used := 2*uint64(len(exe)+1) + 2*ptrSize // the file name, argv[0], pointers to argv[0] and base[0]
		for _, kv := range env {
			used += uint64(len(kv)) + 1
		}
		for i := 0; used < lim.total(); i++ {
			name := fmt.Sprintf("V%d=", i)
			n := min(lim.total()-used-ptrSize, lim.strlen/2) // with its NUL
			if n < uint64(len(name))+1 {
				t.Fatalf("cannot fill the last %d bytes", lim.total()-used)
			}
			env = append(env, name+bigValue(int(n)-1-len(name)))
			used += n + ptrSize
		}
		env[len(env)-1] += bigValue(extra)
		return env
	}
	tests := []struct {
		name   string
		env    []string
		refuse bool
	}{
		{"a variable at MAX_ARG_STRLEN", one(lim.strlen), false},
		{"a variable one byte over", one(lim.strlen + 1), true},
		{"strings and pointers filling the room", total(0), false},
		{"one byte over the room", total(1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checked := checkArgSize(exe, []string{exe}, tt.env, lim)
			if (checked != nil) != tt.refuse {
				t.Fatalf("checkArgSize: got %.300v, want refused=%v", checked, tt.refuse)
			}
			cmd := exec.CommandContext(t.Context(), exe)
			cmd.Env = tt.env
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			err := cmd.Run()
			if refused := errors.Is(err, syscall.E2BIG); refused != tt.refuse || (!refused && err != nil) {
				t.Errorf("execve: got %v, want refused=%v", err, tt.refuse)
			}
		})
	}
}

// A secret too large for an environment variable stops the container with
// exit 1 and a message naming the variable and what to do, never with the
// "check the container's command" of a command that cannot run.
func TestBinaryOversizeSecret(t *testing.T) {
	f := newFakeStore(t)
	f.secrets["demo-kv/data/big"] = map[string]string{"CERT": bigValue(200 << 10)}
	env := moveFirst(storeEnv(t, f), "BUNDLE=secrets-store:demo-kv/data/big#CERT")
	r := runInjector(t, env, testExecutable(t))
	if r.code != ExitFailure || r.helperPID != 0 {
		t.Fatalf("got exit code %d, helper started %v, want %d and no start\nstderr:\n%s", r.code, r.helperPID != 0, ExitFailure, r.stderr)
	}
	want := reportPrefix + `environment variable "BUNDLE" takes 204808 bytes as NAME=value, over the kernel's limit of`
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "CSI volume") {
		t.Errorf("got stderr\n%s\nwant a line starting %q that suggests a CSI volume", r.stderr, want)
	}
	checkClean(t, r)
}
