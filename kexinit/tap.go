package kexinit

import (
	"bufio"
	"net"
	"sync"
)

// Tap wraps a connection another SSH client drives and reads the server's
// hello as it passes, so that a handshake doubles as a probe. It also strips
// the lines a server may send before its version line: x/crypto fails on
// any such line of 256 bytes or more (its version-line bound), where RFC
// 4253 §4.2 bounds only the version line itself.
type Tap struct {
	net.Conn
	lim Limits
	br  *bufio.Reader

	mu       sync.Mutex
	started  bool
	pending  []byte // the version line, handed on before anything else
	hello    *Hello
	scanner  *packetScanner
	err      error // why the hello could not be read, if it could not
	received int
}

// NewTap wraps conn.
func NewTap(conn net.Conn, lim Limits) *Tap {
	lim = lim.orDefault()
	return &Tap{Conn: conn, lim: lim, br: bufio.NewReaderSize(conn, 4096), scanner: &packetScanner{lim: lim}}
}

// Read reads the banner itself on the first call, then passes bytes through
// unchanged, feeding a copy to the KEXINIT scanner until it has the KEXINIT.
func (t *Tap) Read(p []byte) (int, error) {
	// x/crypto reads from one goroutine; the lock guards only against
	// Hello and Banner, and is never held across a blocking read.
	if !t.started {
		t.started = true
		banner, preamble, lines, received, err := readBanner(t.br, t.lim)
		t.mu.Lock()
		defer t.mu.Unlock()
		t.received = received
		if err != nil {
			t.err = err
			return 0, err
		}
		t.hello = &Hello{Banner: banner, Preamble: preamble, PreambleLines: lines}
		t.pending = []byte(banner.Raw + "\r\n")
	}
	if len(t.pending) > 0 {
		n := copy(p, t.pending)
		t.pending = t.pending[n:]
		return n, nil
	}
	n, err := t.br.Read(p)
	if t.scanner == nil {
		return n, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if n > 0 && t.err == nil {
		done, ferr := t.scanner.feed(p[:n])
		switch {
		case ferr != nil:
			// x/crypto will fail on the same bytes with its own words; ours
			// name the bound or the field, so keep them for the report.
			t.err = ferr
			t.scanner = nil
		case done:
			t.hello.KexInit, t.hello.Payload, t.hello.Skipped = t.scanner.kex, t.scanner.payload, t.scanner.skipped
			t.scanner = nil
		}
	}
	if err != nil && t.err == nil && t.scanner != nil {
		t.err = classify(err, "kexinit", t.received+t.scanner.received)
		t.scanner = nil
	}
	return n, err
}

// Hello returns the server's hello once its KEXINIT has passed, or why it
// could not be read. Before either, it returns nil, nil.
func (t *Tap) Hello() (*Hello, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hello != nil && t.hello.KexInit != nil {
		return t.hello, nil
	}
	return nil, t.err
}

// Banner returns the server's version line once it has been read.
func (t *Tap) Banner() (Banner, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hello == nil {
		return Banner{}, false
	}
	return t.hello.Banner, true
}
