// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package rawconn

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// rawPair is a client connection from Dial and the server end of it.
func rawPair(t *testing.T) (*rawConn, net.Conn) {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	var d net.Dialer
	c, err := Dial(d.DialContext)(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	rc, ok := c.(*rawConn)
	if !ok {
		t.Fatalf("Dial returned %T, want *rawConn", c)
	}
	s, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = s.Close() })
	return rc, s
}

// TestRawConnMovesData: more than the socket buffers hold goes both ways
// intact (writes that would block wait for the peer and go on), and the
// peer's close reads as io.EOF.
func TestRawConnMovesData(t *testing.T) {
	c, s := rawPair(t)
	up := make([]byte, 16<<20)
	down := make([]byte, 4<<20)
	_, _ = rand.Read(up)
	_, _ = rand.Read(down)

	got := make(chan []byte, 1)
	go func() {
		time.Sleep(50 * time.Millisecond) // the client's writes fill the buffers first
		b := make([]byte, len(up))
		if _, err := io.ReadFull(s, b); err != nil {
			got <- nil
			return
		}
		got <- b
		_, _ = s.Write(down)
		_ = s.Close()
	}()
	if n, err := c.Write(up); err != nil || n != len(up) {
		t.Fatalf("Write: %d, %v; want %d, nil", n, err, len(up))
	}
	if b := <-got; !bytes.Equal(b, up) {
		t.Fatal("the server did not receive what the client wrote")
	}
	b, err := io.ReadAll(c) // io.ReadAll stops at io.EOF and reports nil
	if err != nil {
		t.Fatalf("read to the end: %v", err)
	}
	if !bytes.Equal(b, down) {
		t.Fatalf("read %d bytes, want the %d the server wrote", len(b), len(down))
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF { //nolint:errorlint // io.EOF is returned as is
		t.Errorf("Read after the end: %d, %v; want 0, io.EOF", n, err)
	}
	if n, err := c.Read(nil); n != 0 || err != nil {
		t.Errorf("Read of nothing: %d, %v; want 0, nil", n, err)
	}
}

// TestRawConnErrors: a deadline and a closed connection read as from a
// net.TCPConn: a net.Error with Timeout, net.ErrClosed, under op "read".
func TestRawConnErrors(t *testing.T) {
	c, _ := rawPair(t)
	if err := c.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 8))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v; want a timeout", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "read tcp ") {
		t.Errorf("error %q: want it to start with \"read tcp \" as net.TCPConn's does", msg)
	}
	_ = c.Close()
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v; want net.ErrClosed", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v; want net.ErrClosed", err)
	}
}

// Sleep waits as long as it is asked, unless a signal ends it early, which
// the runtime's preemption can do to one attempt but hardly to every one.
func TestSleep(t *testing.T) {
	const d = 20 * time.Millisecond
	var took []time.Duration
	for range 5 {
		start := time.Now()
		Sleep(d)
		took = append(took, time.Since(start))
		if took[len(took)-1] >= d {
			return
		}
	}
	t.Fatalf("Sleep(%v) took %v: never the whole time", d, took)
}
