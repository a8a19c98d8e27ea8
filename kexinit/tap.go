package kexinit

import (
	"bufio"
	"encoding/binary"
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
	replies  *replyScanner // after the KEXINIT: the server's host key blob
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
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.scanner == nil {
		if t.replies != nil {
			t.replies.feed(p[:n])
		}
		return n, err
	}
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
			t.replies = &replyScanner{lim: t.lim}
			t.replies.feed(t.scanner.rest)
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

// HostKeyBlob returns the host key the server sent in its key exchange
// reply (K_S, still in the clear), or nil. Unlike a key HostKeyCallback
// sees, it is not proved: the signature over it was not checked. It serves
// to describe a key the client refused to parse.
func (t *Tap) HostKeyBlob() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.replies == nil {
		return nil
	}
	return t.replies.blob
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

// replyScanner frames the plaintext packets after the KEXINIT until the
// server's key exchange reply (messages 31 and 33: KEXDH_REPLY,
// KEX_ECDH_REPLY, the hybrid replies, KEX_DH_GEX_REPLY), whose first field
// is the host key blob, or until NEWKEYS, after which nothing is in the
// clear. It holds at most lim.MaxBytes.
type replyScanner struct {
	lim      Limits
	buf      []byte
	received int
	done     bool
	blob     []byte
}

func (s *replyScanner) feed(p []byte) {
	if s.done || len(p) == 0 {
		return
	}
	s.received += len(p)
	if s.received > s.lim.MaxBytes {
		s.done, s.buf = true, nil
		return
	}
	s.buf = append(s.buf, p...)
	for {
		payload, n, err := ParsePacket(s.buf, s.lim.MaxPacketLen)
		if err == errShort {
			return
		}
		if err != nil {
			s.done, s.buf = true, nil
			return
		}
		s.buf = s.buf[n:]
		switch payload[0] {
		case 21: // NEWKEYS
			s.done, s.buf = true, nil
			return
		case 31, 33:
			if blob := keyBlobAt(payload[1:]); blob != nil {
				s.blob = append([]byte(nil), blob...)
				s.done, s.buf = true, nil
				return
			}
		}
	}
}

// keyBlobAt returns the SSH string at the start of b when it looks like a
// key blob (itself starting with a short printable type name); GEX_GROUP,
// also message 31, starts with an mpint that does not.
func keyBlobAt(b []byte) []byte {
	if len(b) < 4 {
		return nil
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) || n < 4 {
		return nil
	}
	blob := b[4 : 4+n]
	t := binary.BigEndian.Uint32(blob)
	if t == 0 || t > 64 || uint64(t) > uint64(len(blob)-4) {
		return nil
	}
	for _, c := range blob[4 : 4+t] {
		if c <= ' ' || c > '~' {
			return nil
		}
	}
	return blob
}
