package kexinit_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
)

// hostile serves behave on every connection to a listener on 127.0.0.1,
// one goroutine per connection, until the test ends. done closes when the
// test ends, for behaviours that would otherwise go on for ever.
func hostile(t *testing.T, behave func(c net.Conn, done <-chan struct{})) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				behave(c, done)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
}

type probeResult struct {
	hello *kexinit.Hello
	err   error
	local string // the client's address, which a Detail need not repeat
	// onDeadline says the probe returned only once its deadline had
	// passed: right for a tarpit, wrong for a server that said enough.
	onDeadline bool
}

// probe dials and probes within timeout, the way the command does. It
// fails the test if the probe outlives its deadline by a wide margin:
// that is a hang, whatever the machine's speed.
func probe(t *testing.T, host string, port int, timeout time.Duration, lim kexinit.Limits) probeResult {
	t.Helper()
	ch := make(chan probeResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		conn, err := kexinit.Dial(ctx, host, port)
		if err != nil {
			ch <- probeResult{err: err}
			return
		}
		defer conn.Close()
		h, err := kexinit.Probe(conn, lim)
		ch <- probeResult{h, err, conn.LocalAddr().String(), ctx.Err() != nil}
	}()
	select {
	case r := <-ch:
		return r
	case <-time.After(timeout + 5*time.Second):
		t.Fatalf("probe of %s:%d hung past its %v deadline", host, port, timeout)
		return probeResult{}
	}
}

// readClientHello reads what a probe sends first, our version line and our
// KEXINIT packet, and checks x/crypto can read that KEXINIT: it is what a
// strict server (RouterOS, some Cisco) waits for.
func readClientHello(c net.Conn) error {
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "SSH-2.0-") || !strings.HasSuffix(line, "\r\n") {
		return errors.New("client version line " + strconv.Quote(line))
	}
	var hdr [5]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(hdr[:])
	if length > 35000 || uint32(hdr[4])+1 >= length {
		return errors.New("client packet framing")
	}
	body := make([]byte, length-1)
	if _, err := io.ReadFull(br, body); err != nil {
		return err
	}
	var msg wireKexInit
	if err := ssh.Unmarshal(body[:len(body)-int(hdr[4])], &msg); err != nil {
		return err
	}
	if br.Buffered() > 0 {
		return errors.New("client sent more than its hello before the server spoke")
	}
	return nil
}

// checkHuman asserts an error is worded for a person: a typed *Error with a
// one-line printable Detail that does not repeat socket plumbing.
func checkHuman(t *testing.T, r probeResult) {
	t.Helper()
	var e *kexinit.Error
	if !errors.As(r.err, &e) {
		t.Fatalf("error %T %v, want a *kexinit.Error", r.err, r.err)
	}
	d := e.Detail
	if d == "" || len(d) > 400 || !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("Detail %q is not one printable line", d)
	}
	if r.local != "" && strings.Contains(d, r.local) {
		t.Errorf("Detail %q repeats the socket address %s", d, r.local)
	}
	if e.Error() == "" {
		t.Errorf("empty Error()")
	}
}

// endedOnItsOwn asserts the probe ended on what the server said, not on its
// deadline; the deadlines of such cases are far longer than they need.
func endedOnItsOwn(t *testing.T, r probeResult) {
	t.Helper()
	if r.onDeadline {
		t.Errorf("Probe waited for its deadline (%v); the server had said enough long before", r.err)
	}
}

// serverHello is a valid banner and KEXINIT packet, encoded by x/crypto.
func serverHello(banner string) []byte {
	return append([]byte(banner), framePacket(ssh.Marshal(opensshWire()))...)
}

func opensshWire() *wireKexInit {
	return &wireKexInit{
		Cookie:                  [16]byte{42},
		KexAlgos:                []string{"curve25519-sha256", "kex-strict-s-v00@openssh.com"},
		ServerHostKeyAlgos:      []string{"ssh-ed25519"},
		CiphersClientServer:     []string{"aes128-ctr"},
		CiphersServerClient:     []string{"aes128-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256"},
		MACsServerClient:        []string{"hmac-sha2-256"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}
}

// framePacket is RFC 4253 §6 framing written here, apart from the package's.
func framePacket(payload []byte) []byte {
	padding := 4 + (8-(5+len(payload)+4)%8)%8
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)+padding))
	b = append(b, byte(padding))
	b = append(b, payload...)
	return append(b, make([]byte, padding)...)
}

func ignorePacket() []byte { return framePacket([]byte{2, 0, 0, 0, 4, 'p', 'i', 'n', 'g'}) }

func disconnectPacket(code uint32, desc string) []byte {
	p := binary.BigEndian.AppendUint32([]byte{1}, code)
	p = binary.BigEndian.AppendUint32(p, uint32(len(desc)))
	p = append(p, desc...)
	return framePacket(binary.BigEndian.AppendUint32(p, 0))
}

// drainUntilClose reads until the client goes away, so that closing never races a
// reset against bytes the client has yet to read.
func drainUntilClose(c net.Conn) { io.Copy(io.Discard, c) }

func TestProbeHostileServers(t *testing.T) {
	const quick = 10 * time.Second // cases that end on their own, long before
	tests := []struct {
		name   string
		behave func(c net.Conn, done <-chan struct{})
		lim    kexinit.Limits
		kind   kexinit.Kind
		phase  string
	}{
		{
			name: "endless pre-banner lines stop at the line bound",
			behave: func(c net.Conn, done <-chan struct{}) {
				line := []byte(strings.Repeat("Welcome to the tarpit.\r\n", 64))
				for {
					if _, err := c.Write(line); err != nil {
						return
					}
				}
			},
			kind: kexinit.KindLimit, phase: "banner",
		},
		{
			name: "one endless pre-banner line",
			behave: func(c net.Conn, done <-chan struct{}) {
				chunk := []byte(strings.Repeat("x", 4096))
				for {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			},
			kind: kexinit.KindLimit, phase: "banner",
		},
		{
			name: "truncated KEXINIT then close",
			behave: func(c net.Conn, done <-chan struct{}) {
				if readClientHello(c) != nil {
					return
				}
				h := serverHello("SSH-2.0-OpenSSH_9.6\r\n")
				c.Write(h[:len(h)-10])
			},
			kind: kexinit.KindClosed, phase: "kexinit",
		},
		{
			name: "closes after its banner",
			behave: func(c net.Conn, done <-chan struct{}) {
				if readClientHello(c) == nil {
					c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
				}
			},
			kind: kexinit.KindClosed, phase: "kexinit",
		},
		{
			name: "closes at once",
			behave: func(c net.Conn, done <-chan struct{}) {
				readClientHello(c)
			},
			kind: kexinit.KindClosed, phase: "banner",
		},
		{
			name: "SSH-1 only",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write([]byte("SSH-1.5-1.2.27\n"))
				drainUntilClose(c)
			},
			kind: kexinit.KindSSH1, phase: "banner",
		},
		{
			name: "binary garbage",
			behave: func(c net.Conn, done <-chan struct{}) {
				garbage := make([]byte, 4096)
				for i := range garbage {
					garbage[i] = byte(i*131 + 7)
				}
				c.Write(garbage)
				drainUntilClose(c)
			},
			kind: kexinit.KindNotSSH, phase: "banner",
		},
		{
			name: "TLS server alert",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46})
				drainUntilClose(c)
			},
			kind: kexinit.KindNotSSH, phase: "banner",
		},
		{
			name: "MySQL handshake",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write([]byte("\x4a\x00\x00\x00\x0a8.0.36\x00\x08\x00\x00\x00"))
				drainUntilClose(c)
			},
			kind: kexinit.KindNotSSH, phase: "banner",
		},
		{
			name: "SMTP greeting",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write([]byte("220 mail.example.com ESMTP Postfix\r\n"))
				drainUntilClose(c)
			},
			kind: kexinit.KindNotSSH, phase: "banner",
		},
		{
			name: "DISCONNECT before KEXINIT",
			behave: func(c net.Conn, done <-chan struct{}) {
				if readClientHello(c) != nil {
					return
				}
				c.Write(append([]byte("SSH-2.0-OpenSSH_9.8\r\n"), disconnectPacket(12, "penalty: connections without auth")...))
			},
			kind: kexinit.KindDisconnect, phase: "kexinit",
		},
		{
			name: "100 IGNORE packets before KEXINIT",
			behave: func(c net.Conn, done <-chan struct{}) {
				b := []byte("SSH-2.0-x\r\n")
				for range 100 {
					b = append(b, ignorePacket()...)
				}
				b = append(b, serverHello("")...)
				c.Write(b)
				drainUntilClose(c)
			},
			kind: kexinit.KindLimit, phase: "kexinit",
		},
		{
			name: "message 21 where the KEXINIT belongs",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write(append([]byte("SSH-2.0-x\r\n"), framePacket([]byte{21})...))
				drainUntilClose(c)
			},
			kind: kexinit.KindMalformed, phase: "kexinit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tt.behave)
			r := probe(t, host, port, quick, tt.lim)
			if kexinit.KindOf(r.err) != tt.kind {
				t.Fatalf("Probe = %+v, %v; want %s", r.hello, r.err, tt.kind)
			}
			endedOnItsOwn(t, r)
			var e *kexinit.Error
			errors.As(r.err, &e)
			if e.Phase != tt.phase {
				t.Errorf("phase %q, want %q", e.Phase, tt.phase)
			}
			checkHuman(t, r)
		})
	}
}

// A server that says nothing, or trickles a byte a second, cannot hold a
// probe past its deadline: it ends as a timeout, saying how far it got.
func TestProbeTimesOutOnSlowServers(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	trickle := func(b []byte) func(net.Conn, <-chan struct{}) {
		return func(c net.Conn, done <-chan struct{}) {
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for i := 0; ; i++ {
				if _, err := c.Write(b[i%len(b) : i%len(b)+1]); err != nil {
					return
				}
				select {
				case <-tick.C:
				case <-done:
					return
				}
			}
		}
	}
	tests := []struct {
		name   string
		behave func(net.Conn, <-chan struct{})
		phase  string
	}{
		{"silent after accept", func(c net.Conn, done <-chan struct{}) { drainUntilClose(c) }, "banner"},
		{"one byte per second", trickle(serverHello("SSH-2.0-OpenSSH_9.6\r\n")), "banner"},
		{"banner, then one KEXINIT byte per second", func(c net.Conn, done <-chan struct{}) {
			if _, err := c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")); err != nil {
				return
			}
			trickle(serverHello(""))(c, done)
		}, "kexinit"},
		{"reads our hello, then nothing", func(c net.Conn, done <-chan struct{}) {
			if readClientHello(c) == nil {
				<-done
			}
		}, "banner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tt.behave)
			r := probe(t, host, port, timeout, kexinit.Limits{})
			if kexinit.KindOf(r.err) != kexinit.KindTimeout {
				t.Fatalf("Probe = %+v, %v; want %s", r.hello, r.err, kexinit.KindTimeout)
			}
			var e *kexinit.Error
			errors.As(r.err, &e)
			if e.Phase != tt.phase {
				t.Errorf("phase %q, want %q", e.Phase, tt.phase)
			}
			checkHuman(t, r)
		})
	}
}

// A packet length of 0xFFFFFFF0 after a valid banner is refused from its
// four bytes: no allocation, no waiting for the four gigabytes it announces.
func TestProbeHugePacketLength(t *testing.T) {
	zeros := make([]byte, 64<<10) // the server's, allocated before the count
	host, port := hostile(t, func(c net.Conn, done <-chan struct{}) {
		hdr := append([]byte("SSH-2.0-OpenSSH_9.6\r\n"), 0xFF, 0xFF, 0xFF, 0xF0, 4)
		if _, err := c.Write(hdr); err != nil {
			return
		}
		for {
			if _, err := c.Write(zeros); err != nil {
				return
			}
		}
	})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := probe(t, host, port, 10*time.Second, kexinit.Limits{})
	runtime.ReadMemStats(&after)
	if kexinit.KindOf(r.err) != kexinit.KindMalformed {
		t.Fatalf("Probe = %+v, %v; want %s", r.hello, r.err, kexinit.KindMalformed)
	}
	endedOnItsOwn(t, r)
	var me *kexinit.MalformedError
	if !errors.As(r.err, &me) || me.Where != "packet" {
		t.Errorf("error %v does not reach a MalformedError in the packet", r.err)
	}
	checkHuman(t, r)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Errorf("probe allocated %d bytes against a hostile length, want under 1 MiB", d)
	}
}

func TestProbeHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().(*net.TCPAddr)
	r := probe(t, "127.0.0.1", addr.Port, 10*time.Second, kexinit.Limits{})
	if kexinit.KindOf(r.err) != kexinit.KindNotSSH {
		t.Fatalf("Probe = %+v, %v; want %s", r.hello, r.err, kexinit.KindNotSSH)
	}
	endedOnItsOwn(t, r)
	checkHuman(t, r)
}

func TestProbeRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := probe(t, "127.0.0.1", port, 10*time.Second, kexinit.Limits{})
	if kexinit.KindOf(r.err) != kexinit.KindRefused {
		t.Fatalf("Probe = %v; want %s", r.err, kexinit.KindRefused)
	}
	endedOnItsOwn(t, r)
	checkHuman(t, r)
}

func TestProbeSucceeds(t *testing.T) {
	tests := []struct {
		name     string
		behave   func(c net.Conn, done <-chan struct{})
		lim      kexinit.Limits
		preamble int
		skipped  int
	}{
		{
			name: "speaks first",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write(serverHello("SSH-2.0-OpenSSH_9.6\r\n"))
				drainUntilClose(c)
			},
		},
		{
			name: "waits for our version line and KEXINIT (RouterOS)",
			behave: func(c net.Conn, done <-chan struct{}) {
				if readClientHello(c) != nil {
					return
				}
				c.Write(serverHello("SSH-2.0-ROSSSH\r\n"))
				drainUntilClose(c)
			},
		},
		{
			name: "many pre-banner lines",
			behave: func(c net.Conn, done <-chan struct{}) {
				c.Write([]byte(strings.Repeat("Authorized use only.\r\n", 1000)))
				c.Write(serverHello("SSH-2.0-OpenSSH_9.6\r\n"))
				drainUntilClose(c)
			},
			preamble: 1000,
		},
		{
			name: "100 IGNORE packets with room for them",
			behave: func(c net.Conn, done <-chan struct{}) {
				b := []byte("SSH-2.0-x\r\n")
				for range 100 {
					b = append(b, ignorePacket()...)
				}
				c.Write(append(b, serverHello("")...))
				drainUntilClose(c)
			},
			lim:     kexinit.Limits{MaxSkipped: 100},
			skipped: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tt.behave)
			r := probe(t, host, port, 10*time.Second, tt.lim)
			if r.err != nil {
				t.Fatalf("Probe: %v", r.err)
			}
			endedOnItsOwn(t, r)
			want := opensshWire()
			if got := r.hello.KexInit; !sameNames(got.KexAlgos, want.KexAlgos) || !sameNames(got.ServerHostKeyAlgos, want.ServerHostKeyAlgos) ||
				!sameNames(got.CiphersServerClient, want.CiphersServerClient) || len(got.LanguagesServerClient) != 0 {
				t.Errorf("KEXINIT = %+v, want %+v", got, want)
			}
			if r.hello.PreambleLines != tt.preamble || r.hello.Skipped != tt.skipped {
				t.Errorf("%d preamble lines, %d skipped; want %d, %d", r.hello.PreambleLines, r.hello.Skipped, tt.preamble, tt.skipped)
			}
		})
	}
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// wireKexInit has x/crypto's kexInitMsg layout.
type wireKexInit struct {
	Cookie                  [16]byte `sshtype:"20"`
	KexAlgos                []string
	ServerHostKeyAlgos      []string
	CiphersClientServer     []string
	CiphersServerClient     []string
	MACsClientServer        []string
	MACsServerClient        []string
	CompressionClientServer []string
	CompressionServerClient []string
	LanguagesClientServer   []string
	LanguagesServerClient   []string
	FirstKexFollows         bool
	Reserved                uint32
}
