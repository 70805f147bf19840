// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PostgreSQL for the store's database secrets engine. The server is Debian's postgresql-15
// package (`make deps`), run by the stack like its other components (own session, PID in
// run/postgres.pid, log in logs/postgres.log) but only on demand: StartPostgres. Its cluster
// lives in data/postgres and belongs to the system user postgres (the server refuses to run
// as root); it listens on 127.0.0.1 on a free port and on a unix socket in run/pg.

// PG is the stack's PostgreSQL server as clients reach it.
type PG struct {
	Addr      string `json:"addr"` // 127.0.0.1:<port>; TCP logins authenticate with scram-sha-256
	Port      int    `json:"port"`
	User      string `json:"user"` // the superuser StartPostgres set up
	Password  string `json:"password"`
	Database  string `json:"database"`  // a database made for the tests
	SocketDir string `json:"socketDir"` // the unix socket (peer auth: the postgres system user only)
	BinDir    string `json:"binDir"`    // /usr/lib/postgresql/<version>/bin
}

const (
	pgProcess    = "postgres" // logs/postgres.log, run/postgres.pid
	pgSystemUser = "postgres" // created by the postgresql-common package
	pgSuperuser  = "stack"
	pgDatabase   = "app"
)

// pgMu serializes StartPostgres, also across views of one stack (InNamespace copies).
var pgMu sync.Mutex

// StartPostgres starts the stack's PostgreSQL server, creating its cluster, superuser and
// database the first time, and returns how to reach it. It is idempotent: a running server
// is returned as it is, a stopped one (StopPostgres) is started again with the same data.
func (s *Stack) StartPostgres(ctx context.Context) (PG, error) {
	pgMu.Lock()
	defer pgMu.Unlock()
	if s.Env.Postgres == nil {
		s.Env.Postgres = s.recordedPostgres()
	}
	if pg := s.Env.Postgres; pg != nil {
		if pid, ok := s.pid(pgProcess); ok && alive(pid) {
			return *pg, nil
		}
	}
	uid, gid, err := postgresUser()
	if err != nil {
		return PG{}, err
	}
	data := filepath.Join(s.Dir, "data", "postgres")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil || s.Env.Postgres == nil {
		pg, err := s.initPostgres(ctx, uid, gid)
		if err != nil {
			return PG{}, fmt.Errorf("create the postgresql cluster: %w", err)
		}
		s.Env.Postgres = &pg
		if err := s.save(); err != nil {
			return PG{}, err
		}
	}
	pg := *s.Env.Postgres
	argv := append(asUser(uid, gid, data), filepath.Join(pg.BinDir, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port="+strconv.Itoa(pg.Port),
		"-c", "unix_socket_directories="+pg.SocketDir,
		"-c", "max_connections=50",
		// a throwaway cluster: no durability, less disk work on a shared machine
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	if err := s.start(pgProcess, []string{"LC_ALL=C"}, argv...); err != nil {
		return PG{}, err
	}
	err = s.waitFor(ctx, pgProcess, 60*time.Second, func(ctx context.Context) error {
		_, err := pg.query(ctx, pg.User, pg.Password, "postgres", "SELECT 1")
		return err
	})
	if err != nil {
		return PG{}, err
	}
	return pg, pg.ensureDatabase(ctx)
}

// StopPostgres stops the PostgreSQL server by its PID; its data stays for StartPostgres.
// SIGINT asks for a fast shutdown: SIGTERM (what stop sends) is a smart shutdown, which would
// wait for the store's pooled connections to close.
func (s *Stack) StopPostgres() {
	pid, ok := s.pid(pgProcess)
	if ok && alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGINT)
		for i := 0; i < 150 && alive(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if !alive(pid) {
			s.logf("stopped %s (pid %d)", pgProcess, pid)
		}
	}
	s.stop(pgProcess, 10*time.Second) // forgets the PID; kills what is left
}

// initPostgres makes a new cluster in data/postgres (removing an old one) owned by the
// postgres system user, with a superuser whose password it makes up, and picks a port.
func (s *Stack) initPostgres(ctx context.Context, uid, gid int) (PG, error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return PG{}, err
	}
	port, err := FreePort()
	if err != nil {
		return PG{}, err
	}
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return PG{}, err
	}
	pg := PG{
		Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, User: pgSuperuser, Password: hex.EncodeToString(pw),
		Database: pgDatabase, SocketDir: filepath.Join(s.Dir, "run", "pg"), BinDir: bin,
	}
	data := filepath.Join(s.Dir, "data", "postgres")
	if err := os.RemoveAll(data); err != nil {
		return PG{}, err
	}
	// The stack's directories are root's, mode 0700; the postgres group may pass through.
	for _, d := range []string{s.Dir, filepath.Join(s.Dir, "data"), filepath.Join(s.Dir, "run")} {
		if err := letGroupTraverse(d, gid); err != nil {
			return PG{}, err
		}
	}
	for _, d := range []string{data, pg.SocketDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return PG{}, err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return PG{}, err
		}
	}
	pwFile := filepath.Join(pg.SocketDir, "initdb.pw")
	if err := os.WriteFile(pwFile, []byte(pg.Password+"\n"), 0o600); err != nil {
		return PG{}, err
	}
	defer os.Remove(pwFile)
	if err := os.Chown(pwFile, uid, gid); err != nil {
		return PG{}, err
	}
	argv := append(asUser(uid, gid, data), filepath.Join(bin, "initdb"), "-D", data,
		"--username="+pg.User, "--pwfile="+pwFile, "--auth-host=scram-sha-256", "--auth-local=peer",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	logPath := filepath.Join(s.Dir, "logs", "postgres-initdb.log")
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if werr := os.WriteFile(logPath, out, 0o600); werr != nil {
		return PG{}, werr
	}
	if err != nil {
		return PG{}, fmt.Errorf("initdb: %w (see %s)", err, logPath)
	}
	s.logf("created a postgresql cluster in %s", data)
	return pg, nil
}

// asUser is the argv prefix that runs a program as uid:gid (no other groups) in dir. Both
// programs exec, so the PID recorded by start is the server's own.
func asUser(uid, gid int, dir string) []string {
	return []string{
		"setpriv", "--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid), "--clear-groups",
		"--", "env", "--chdir=" + dir,
	}
}

// letGroupTraverse lets group gid pass through dir (search only), unless everyone may already.
func letGroupTraverse(dir string, gid int) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	mode := st.Mode().Perm()
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || mode&0o001 != 0 || (int(sys.Gid) == gid && mode&0o010 != 0) {
		return nil
	}
	if err := os.Chown(dir, -1, gid); err != nil {
		return fmt.Errorf("let the postgres user reach %s: %w", dir, err)
	}
	return os.Chmod(dir, mode&^0o070|0o010)
}

// postgresUser returns the uid and gid of the postgres system user.
func postgresUser() (int, int, error) {
	u, err := user.Lookup(pgSystemUser)
	if err != nil {
		return 0, 0, fmt.Errorf("look up the system user %q: %w (install postgresql-15: run `make deps`)", pgSystemUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, err
	}
	gid, err := strconv.Atoi(u.Gid)
	return uid, gid, err
}

// PostgresBinDir returns the newest /usr/lib/postgresql/<version>/bin that holds a server,
// initdb and psql.
func PostgresBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "postgres")) && isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "psql")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server in /usr/lib/postgresql/*/bin: run `make deps` (installs postgresql-15)")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// recordedPostgres returns the server recorded in stack.json, if any (another view of the
// stack, or another process, may have started it).
func (s *Stack) recordedPostgres() *PG {
	b, err := os.ReadFile(s.envFile())
	if err != nil {
		return nil
	}
	var env Env
	if json.Unmarshal(b, &env) != nil {
		return nil
	}
	return env.Postgres
}

// CanLogin checks that user can log in with password to the test database over TCP, the way
// an application would, and is who the server says it is.
func (pg PG) CanLogin(ctx context.Context, user, password string) error {
	out, err := pg.query(ctx, user, password, pg.Database, "SELECT current_user")
	if err != nil {
		return err
	}
	if out != user {
		return fmt.Errorf("logged in to postgresql as %q, the server says the user is %q", user, out)
	}
	return nil
}

// ensureDatabase creates the test database if it is missing.
func (pg PG) ensureDatabase(ctx context.Context) error {
	out, err := pg.query(ctx, pg.User, pg.Password, "postgres", "SELECT count(*) FROM pg_database WHERE datname = '"+pg.Database+"'")
	if err != nil || out == "1" {
		return err
	}
	_, err = pg.query(ctx, pg.User, pg.Password, "postgres", `CREATE DATABASE "`+pg.Database+`"`)
	return err
}

// query runs one SQL command with psql over TCP and returns its unaligned output. The
// password goes through the environment, never the command line or an error.
func (pg PG) query(ctx context.Context, user, password, db, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(pg.BinDir, "psql"), "-X", "-w", "-q", "-A", "-t",
		"-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", user, "-d", db, "-c", sql)
	cmd.Env = []string{"PGPASSWORD=" + password, "PGCONNECT_TIMEOUT=5", "PGSSLMODE=disable", "PGAPPNAME=stack", "LC_ALL=C"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("postgresql at %s as %q: %s: %w", pg.Addr, user, strings.TrimSpace(stderr.String()), err)
	}
	return strings.TrimSpace(string(out)), nil
}
