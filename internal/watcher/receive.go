// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// errUsage: the watcher was not started by the injector.
var errUsage = errors.New("the watcher is started by the injector only, with " + HandoffFlag + " N")

// Receive reads the hand-off whose descriptor args name ([HandoffFlag] N)
// and closes the descriptor, so that the command never inherits it.
func Receive(args []string) (*Handoff, error) {
	if len(args) != 2 || args[0] != HandoffFlag {
		return nil, errUsage
	}
	fd, err := strconv.Atoi(args[1])
	if err != nil || fd < 3 {
		return nil, errUsage
	}
	f := os.NewFile(uintptr(fd), "hand-off")
	if f == nil {
		return nil, errUsage
	}
	// The injector's writes left the shared offset at the end.
	b, err := io.ReadAll(io.NewSectionReader(f, 0, MaxHandoff+1))
	_ = f.Close() // read-only; nothing to lose
	if err != nil {
		return nil, fmt.Errorf("read the hand-off: %w", err)
	}
	return ParseHandoff(b)
}

// ReportPrefix starts every line Report writes: the injector's and the
// watcher's problems read alike in the container's log.
const ReportPrefix = "secrets-store injector: "

// Report writes err for a person reading the container's log: one line per
// line of the error, each starting with ReportPrefix.
func Report(w io.Writer, err error) {
	var b strings.Builder
	for line := range strings.Lines(err.Error()) {
		b.WriteString(ReportPrefix)
		b.WriteString(strings.TrimSuffix(line, "\n"))
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(w, b.String())
}
