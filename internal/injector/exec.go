// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package injector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// defaultPath is searched when the environment has no PATH at all; it is the
// PATH containerd gives a container whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Sentinels for a command that could not be started, matched with errors.Is.
var (
	// ErrNotFound: no such command (exit 127).
	ErrNotFound = errors.New("command not found")
	// ErrNotExecutable: the command exists but cannot be executed (exit 126).
	ErrNotExecutable = errors.New("command cannot be executed")
	// ErrUsage: the injector's own command line is wrong (exit 2).
	ErrUsage = errors.New("usage: injector [--probe] COMMAND [ARG...] | injector --self-copy DEST")
)

// Exit statuses of the injector itself; once the command runs, its status
// is the command's own.
const (
	ExitFailure       = 1   // a setting, a reference or the store failed
	ExitUsage         = 2   // ErrUsage
	ExitNotExecutable = 126 // ErrNotExecutable, as shells and runtimes report it
	ExitNotFound      = 127 // ErrNotFound
)

// ExitCode maps an error returned by Run to the injector's exit status;
// nil is 0.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(*ChildExit)):
		var ce *ChildExit
		errors.As(err, &ce)
		return ce.Code
	case errors.Is(err, ErrNotFound):
		return ExitNotFound
	case errors.Is(err, ErrNotExecutable):
		return ExitNotExecutable
	case errors.Is(err, ErrUsage):
		return ExitUsage
	}
	return ExitFailure
}

// Command is what the injector executes in its place.
type Command struct {
	// Args is the original command and arguments; Args[0] is passed to the
	// program as written, as runtimes do.
	Args []string
	// Env is the complete environment of the program.
	Env []string
}

// Exec replaces the process with the command. It returns only on failure,
// with an error matching ErrNotFound, ErrNotExecutable or ErrTooLarge (an
// argument or variable over the kernel's limits, checked before execve).
func (c Command) Exec() error {
	if len(c.Args) == 0 {
		return fmt.Errorf("no command: %w", ErrUsage)
	}
	path, err := lookPath(c.Args[0], c.Env)
	if err != nil {
		return err
	}
	if err := checkArgSize(path, c.Args, c.Env, currentLimits()); err != nil {
		return err
	}
	// Running the user's command is what the injector is for.
	return execError(path, c.Env, syscall.Exec(path, c.Args, c.Env)) //nolint:gosec // G204: the command is the pod's own
}

// execError classifies the error of execve(path).
func execError(path string, env []string, err error) error {
	if errors.Is(err, syscall.E2BIG) {
		return tooLargeError(path, env, err)
	}
	kind := ErrNotExecutable
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		kind = ErrNotFound
	}
	return fmt.Errorf("exec %q: %w: %w: check the container's command and image", path, kind, err)
}

// lookPath finds the executable for name as container runtimes do: a name
// containing "/" is used as is (execve reports what is wrong with it);
// otherwise the directories of PATH in env (defaultPath when env has none;
// an empty element means the working directory) are searched for an
// executable regular file. A match without execute permission is
// remembered: if nothing better is found the error is ErrNotExecutable,
// else ErrNotFound.
func lookPath(name string, env []string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("empty command name: %w", ErrNotFound)
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathList, ok := getenv(env, "PATH")
	if !ok {
		pathList = defaultPath
	}
	denied := ""
	for dir := range strings.SplitSeq(pathList, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		fi, err := os.Stat(p)
		switch {
		case err != nil || fi.IsDir():
			continue
		case fi.Mode()&0o111 == 0 || !fi.Mode().IsRegular():
			if denied == "" {
				denied = p
			}
			continue
		}
		return p, nil
	}
	if denied != "" {
		return "", fmt.Errorf("exec %q: %w: %w: check the file's mode", denied, ErrNotExecutable, fs.ErrPermission)
	}
	return "", fmt.Errorf("exec %q: %w in PATH %q: check the container's command and image", name, ErrNotFound, pathList)
}

// getenv returns the first value of name in env.
func getenv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v, true
		}
	}
	return "", false
}
