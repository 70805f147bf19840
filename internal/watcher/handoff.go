// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package watcher

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// Handoff is everything the watcher needs from the injector that resolved
// the environment: how to reach the store and as whom, what to poll and
// what it held at start, and the command to run. It travels in a sealed
// memory file whose descriptor the watcher inherits across execve; it holds
// the store token and the command's environment (secret values), so it is
// never written to a file, an argument or a log.
type Handoff struct {
	Store Store
	// Interval is the poll period, already jittered; Grace the time between
	// SIGTERM and SIGKILL when the watcher stops the command.
	Interval, Grace time.Duration
	// IgnoreMissing: a key the command needs that disappears from a secret
	// restarts the container (which then starts without it); otherwise the
	// command keeps running with a warning, as a failed poll does.
	IgnoreMissing bool
	// KeepToken: the command holds the store token (VAULT_TOKEN=
	// secrets-store:login), so the watcher does not revoke it at its end.
	KeepToken bool
	// LogLevel is a log/slog level; JSONLog selects JSON lines over text.
	LogLevel int
	JSONLog  bool
	Sources  []Source
	// Path is the command's executable, resolved by the injector; Argv its
	// arguments (Argv[0] as written) and Env its complete environment.
	Path string
	Argv []string
	Env  []string
}

// Store is the store connection and identity.
type Store struct {
	Addr       string // host:port to dial
	Host       string // the Host header
	PathPrefix string // the store URL's path, "" or "/prefix", before /v1; not escaped
	TLS        bool
	ServerName string
	CACert     []byte // PEM; empty with TLS means the system's CAs
	SkipVerify bool
	Namespace  string
	Timeout    time.Duration
	// AuthPath and Role log in again with the ServiceAccount JWT read from
	// TokenFile when the token nears its end or the store refuses it.
	AuthPath, Role, TokenFile string
	Token                     string
	// TokenTTL is the token's lifetime, 0 when the store gave none;
	// TokenObtained when the store issued it.
	TokenTTL      time.Duration
	TokenObtained time.Time
}

// Source is one path the watcher polls.
type Source struct {
	// Path and Version are the reference as written, for logs.
	Path    string
	Version int
	// Target is the API request-target of the read: the store URL's path,
	// /v1/ and the API path the injector read (kv/data/app for kv/app on a
	// KV v2 mount), with ?version=N for a pinned version.
	Target string
	// V2: the secret's data is the answer's data.data (KV v2).
	V2 bool
	// Keys are the keys whose values the command depends on; All means
	// every key (env-from-path, a template that reads the whole data).
	// Required are those a plain reference names: their absence fails a
	// start.
	Keys     []string
	Required []string
	All      bool
	// Body is the store's answer the injector started the command with.
	Body []byte
}

// handoffMagic starts every encoded Handoff; the last byte is the format
// version, so that an injector and a watcher of different builds (a
// container restarted after the node's injector changed) refuse each
// other's hand-off instead of misreading it.
const handoffMagic = "secrets-store-handoff\x01"

// MaxHandoff bounds an encoded Handoff: the command's environment and
// arguments are bounded by the kernel far below it, the answers by the
// store client's limit per answer.
const MaxHandoff = 256 << 20

// errHandoff is wrapped by every decoding error.
var errHandoff = errors.New("malformed hand-off")

// MarshalBinary encodes h.
func (h *Handoff) MarshalBinary() ([]byte, error) {
	var e encoder
	e.b = append(e.b, handoffMagic...)
	s := &h.Store
	e.strs(s.Addr, s.Host, s.PathPrefix)
	e.bool(s.TLS)
	e.str(s.ServerName)
	e.bytes(s.CACert)
	e.bool(s.SkipVerify)
	e.str(s.Namespace)
	e.int(int64(s.Timeout))
	e.strs(s.AuthPath, s.Role, s.TokenFile, s.Token)
	e.int(int64(s.TokenTTL))
	var obtained int64 // 0: unknown
	if !s.TokenObtained.IsZero() {
		obtained = s.TokenObtained.UnixNano()
	}
	e.int(obtained)
	e.int(int64(h.Interval))
	e.int(int64(h.Grace))
	e.bool(h.IgnoreMissing)
	e.bool(h.KeepToken)
	e.int(int64(h.LogLevel))
	e.bool(h.JSONLog)
	e.uint(uint64(len(h.Sources)))
	for i := range h.Sources {
		src := &h.Sources[i]
		e.str(src.Path)
		e.int(int64(src.Version))
		e.str(src.Target)
		e.bool(src.V2)
		e.list(src.Keys)
		e.list(src.Required)
		e.bool(src.All)
		e.bytes(src.Body)
	}
	e.str(h.Path)
	e.list(h.Argv)
	e.list(h.Env)
	if len(e.b) > MaxHandoff {
		return nil, fmt.Errorf("the hand-off would take %d bytes, over the limit of %d", len(e.b), MaxHandoff)
	}
	return e.b, nil
}

// ParseHandoff decodes what MarshalBinary encoded; anything else is an
// error wrapping errHandoff.
func ParseHandoff(b []byte) (*Handoff, error) {
	if len(b) > MaxHandoff {
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", errHandoff, len(b), MaxHandoff)
	}
	if len(b) < len(handoffMagic) || string(b[:len(handoffMagic)]) != handoffMagic {
		return nil, fmt.Errorf("%w: it does not start as this watcher's format does: the injector and the watcher come from different builds", errHandoff)
	}
	d := decoder{b: b[len(handoffMagic):]}
	h := &Handoff{}
	s := &h.Store
	s.Addr, s.Host, s.PathPrefix = d.str(), d.str(), d.str()
	s.TLS = d.bool()
	s.ServerName = d.str()
	s.CACert = d.bytes()
	s.SkipVerify = d.bool()
	s.Namespace = d.str()
	s.Timeout = time.Duration(d.int())
	s.AuthPath, s.Role, s.TokenFile, s.Token = d.str(), d.str(), d.str(), d.str()
	s.TokenTTL = time.Duration(d.int())
	if ns := d.int(); ns != 0 {
		s.TokenObtained = time.Unix(0, ns)
	}
	h.Interval, h.Grace = time.Duration(d.int()), time.Duration(d.int())
	h.IgnoreMissing, h.KeepToken = d.bool(), d.bool()
	h.LogLevel = int(d.int())
	h.JSONLog = d.bool()
	n := d.count()
	for range n {
		var src Source
		src.Path = d.str()
		src.Version = int(d.int())
		src.Target = d.str()
		src.V2 = d.bool()
		src.Keys, src.Required = d.list(), d.list()
		src.All = d.bool()
		src.Body = d.bytes()
		h.Sources = append(h.Sources, src)
	}
	h.Path = d.str()
	h.Argv, h.Env = d.list(), d.list()
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%w: %d bytes after the end", errHandoff, len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return h, nil
}

// encoder appends fields: unsigned varints, zigzag varints, and strings and
// byte strings as a length followed by the bytes.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *encoder) bytes(v []byte) {
	e.uint(uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) str(v string) {
	e.uint(uint64(len(v)))
	e.b = append(e.b, v...)
}

func (e *encoder) strs(vs ...string) {
	for _, v := range vs {
		e.str(v)
	}
}

func (e *encoder) list(vs []string) {
	e.uint(uint64(len(vs)))
	e.strs(vs...)
}

// decoder reads what encoder wrote. After the first error every read
// returns a zero value and err keeps that first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errHandoff, what)
	}
	d.b = nil
}

func (d *decoder) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad unsigned number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bool() bool {
	if len(d.b) == 0 || d.b[0] > 1 {
		d.fail("bad flag")
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

// count reads a number of elements, each taking at least one byte, so that
// a count larger than what is left is refused before anything is allocated.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) || n > math.MaxInt32 {
		d.fail("count larger than the data")
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	v := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	v := string(d.b[:n])
	d.b = d.b[n:]
	return v
}

func (d *decoder) list() []string {
	n := d.count()
	var vs []string
	for range n {
		vs = append(vs, d.str())
	}
	if d.err != nil {
		return nil
	}
	return vs
}
