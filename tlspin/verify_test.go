package tlspin

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// handshake runs chk against a loopback TLS server presenting cert, and
// returns the client's result and the server's handshake error: a refused
// server's handshake must fail (it got an alert and no application byte).
func handshake(t *testing.T, chk *Checker, cert tls.Certificate) (*Verified, error, error) {
	t.Helper()
	return handshakeUpTo(t, chk, cert, tls.VersionTLS13)
}

func handshakeUpTo(t *testing.T, chk *Checker, cert tls.Certificate, version uint16) (*Verified, error, error) {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srv <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).HandshakeContext(t.Context())
		if err == nil {
			// Read what the client sends after the handshake: one byte
			// (with io.EOF when its close_notify came with it).
			var b [1]byte
			var n int
			if n, err = c.Read(b[:]); n == 1 {
				err = nil
			}
		}
		srv <- err
	}()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc, v, err := chk.Handshake(context.Background(), conn, ln.Addr().String())
	if err == nil {
		if _, werr := tc.Write([]byte{1}); werr != nil {
			t.Logf("client write: %v", werr)
		}
		tc.Close()
	} else {
		conn.Close()
	}
	return v, err, <-srv
}

func writePins(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.pins")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHandshakeChecksPins(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	other := testpeer.SelfSigned(t, "127.0.0.1")
	f, o := Of(cert.Leaf), Of(other.Leaf)
	tests := []struct {
		name, pins string
		ok         bool
	}{
		{"certificate, openssl form", f.Cert.OpenSSL(), true},
		{"openssl's whole line", "sha256 Fingerprint=" + f.Cert.OpenSSL(), true},
		{"public key, sha256sum form", f.SPKI.Hex() + "  -", true},
		{"public key, spki kind", Line(SPKI, f.SPKI), true},
		{"the second of two pins (a rotation)", o.SPKI.String() + "\n" + f.Cert.String(), true},
		{"another certificate", o.Cert.String(), false},
		{"another key", Line(SPKI, o.SPKI), false},
		{"the certificate's digest as a key pin", Line(SPKI, f.Cert), false},
		{"the key's digest as a certificate pin", Line(Cert, f.SPKI), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writePins(t, "# server\n"+tt.pins+"\n")
			chk, err := Load(Policy{PinFile: path, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			v, err, srvErr := handshake(t, chk, cert)
			if tt.ok {
				if err != nil || srvErr != nil {
					t.Fatalf("client %v, server %v", err, srvErr)
				}
				if v.Pin == nil || v.Fingerprints != f || v.Trusted {
					t.Errorf("verified %+v", v)
				}
				return
			}
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want a *MismatchError", err)
			}
			if me.Got != f || me.Path != path || len(me.Want) == 0 {
				t.Errorf("mismatch %+v", me)
			}
			if !strings.Contains(err.Error(), f.Cert.String()) || !strings.Contains(err.Error(), me.Want[0].Sum.String()) {
				t.Errorf("the message lacks a fingerprint: %v", err)
			}
			if srvErr == nil {
				t.Error("the server's handshake succeeded: it could have received data")
			}
		})
	}
}

func TestHandshakeChecksCA(t *testing.T) {
	ca := testpeer.NewCA(t, "test CA")
	otherCA := testpeer.NewCA(t, "other CA")
	caFile := writePins(t, string(ca.PEM()))
	tests := []struct {
		name   string
		cert   tls.Certificate
		server string
		ok     bool
	}{
		{"signed for the IP", ca.Issue(t, "127.0.0.1"), "127.0.0.1", true},
		{"signed for the name", ca.Issue(t, "files.test"), "files.test", true},
		{"signed for another name", ca.Issue(t, "other.test"), "files.test", false},
		{"signed by another CA", otherCA.Issue(t, "files.test"), "files.test", false},
		{"self-signed", testpeer.SelfSigned(t, "files.test"), "files.test", false},
		{"expired", ca.Expired(t, "files.test"), "files.test", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chk, err := Load(Policy{CAFile: caFile, ServerName: tt.server})
			if err != nil {
				t.Fatal(err)
			}
			v, err, srvErr := handshake(t, chk, tt.cert)
			if tt.ok {
				if err != nil || srvErr != nil {
					t.Fatalf("client %v, server %v", err, srvErr)
				}
				if !v.CA || v.Pin != nil {
					t.Errorf("verified %+v", v)
				}
				return
			}
			var ce *CAError
			if !errors.As(err, &ce) || ce.Got != Of(tt.cert.Leaf) || ce.Name != tt.server {
				t.Fatalf("got %v, want a *CAError for %s", err, tt.server)
			}
			if srvErr == nil {
				t.Error("the server's handshake succeeded")
			}
		})
	}
}

func TestHandshakeCAAndPinBothMustPass(t *testing.T) {
	ca := testpeer.NewCA(t, "test CA")
	cert, renewed := ca.Issue(t, "127.0.0.1"), ca.Issue(t, "127.0.0.1")
	chk, err := Load(Policy{CAFile: writePins(t, string(ca.PEM())), PinFile: writePins(t, Line(SPKI, Of(cert.Leaf).SPKI)), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err, _ := handshake(t, chk, cert); err != nil {
		t.Fatalf("the pinned, CA-signed certificate: %v", err)
	}
	var me *MismatchError
	if _, err, _ := handshake(t, chk, renewed); !errors.As(err, &me) {
		t.Fatalf("a CA-signed certificate with another key: got %v, want a *MismatchError", err)
	}
}

func TestTrustOnFirstUse(t *testing.T) {
	cert, other := testpeer.SelfSigned(t, "127.0.0.1"), testpeer.SelfSigned(t, "127.0.0.1")
	f := Of(cert.Leaf)
	tests := []struct {
		name    string
		content *string // nil: no file
	}{
		{"no file", nil},
		{"an empty file", ptr("")},
		{"comments only, no final newline", ptr("# pins for the file server\n# none yet")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "server.pins")
			if tt.content != nil {
				writePins(t, "")
				os.WriteFile(path, []byte(*tt.content), 0o644)
			}
			chk, err := Load(Policy{PinFile: path, TrustOnFirstUse: true, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			v, err, srvErr := handshake(t, chk, cert)
			if err != nil || srvErr != nil {
				t.Fatalf("client %v, server %v", err, srvErr)
			}
			if !v.Trusted || v.Pin == nil || v.Pin.Kind != SPKI || v.Pin.Sum != f.SPKI {
				t.Fatalf("verified %+v", v)
			}
			s, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Pins) != 1 || s.Pins[0] != *v.Pin {
				t.Fatalf("the file pins %+v, the check said %+v", s.Pins, *v.Pin)
			}
			data, _ := os.ReadFile(path)
			if tt.content != nil && !strings.HasPrefix(string(data), *tt.content) {
				t.Errorf("the file's old lines are gone:\n%s", data)
			}
			// Next time the pin is checked, and the same server passes
			// without a write, another is refused.
			chk, err = Load(Policy{PinFile: path, TrustOnFirstUse: true, ServerName: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			if v, err, _ := handshake(t, chk, cert); err != nil || v.Trusted {
				t.Fatalf("the pinned server again: %+v %v", v, err)
			}
			var me *MismatchError
			if _, err, _ := handshake(t, chk, other); !errors.As(err, &me) {
				t.Fatalf("another server: got %v, want a *MismatchError", err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(data) {
				t.Errorf("a mismatch changed the file:\n%s", after)
			}
		})
	}
}

// Another run that pinned a key between Load and the handshake wins: trust
// on first use never writes over a pin.
func TestTrustOnFirstUseRereadsTheFile(t *testing.T) {
	cert, other := testpeer.SelfSigned(t, "127.0.0.1"), testpeer.SelfSigned(t, "127.0.0.1")
	path := filepath.Join(t.TempDir(), "server.pins")
	chk, err := Load(Policy{PinFile: path, TrustOnFirstUse: true, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	pinned := Line(SPKI, Of(other.Leaf).SPKI) + "\n"
	writePins(t, "")
	os.WriteFile(path, []byte(pinned), 0o644)
	var me *MismatchError
	if _, err, _ := handshake(t, chk, cert); !errors.As(err, &me) {
		t.Fatalf("got %v, want a *MismatchError", err)
	}
	if got, _ := os.ReadFile(path); string(got) != pinned {
		t.Errorf("the file changed:\n%s", got)
	}
}

func TestUnknownWithoutTrustOnFirstUse(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	path := writePins(t, "# nothing yet\n")
	chk, err := Load(Policy{PinFile: path, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnknownError
	_, err, srvErr := handshake(t, chk, cert)
	if !errors.As(err, &ue) || ue.Got != Of(cert.Leaf) {
		t.Fatalf("got %v, want an *UnknownError", err)
	}
	if srvErr == nil {
		t.Error("the server's handshake succeeded")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		p    Policy
		want string
	}{
		{"nothing to verify with", Policy{}, "nothing to verify"},
		{"trust on first use without a file", Policy{CAFile: "x", TrustOnFirstUse: true}, "needs a pin file"},
		{"a missing pin file", Policy{PinFile: filepath.Join(dir, "none")}, "no such file"},
		{"a malformed pin file", Policy{PinFile: writePins(t, "# ok\nnot-a-pin\n")}, ":2: "},
		{"a CA file with no certificate", Policy{CAFile: writePins(t, "just text\n")}, "no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFetchStopsBeforeTheHandshakeEnds(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srv <- err
			return
		}
		defer c.Close()
		srv <- c.(*tls.Conn).HandshakeContext(t.Context())
	}()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	chain, _, err := Fetch(context.Background(), conn, "127.0.0.1")
	conn.Close()
	if err != nil || len(chain) != 1 || Of(chain[0]) != Of(cert.Leaf) {
		t.Fatalf("got %d certificates, %v", len(chain), err)
	}
	if err := <-srv; err == nil {
		t.Error("the server's handshake completed: a super-server would have started its program")
	}
}

func ptr(s string) *string { return &s }

// In TLS 1.2 too the check comes before the client's Finished: a refused
// server's handshake fails, and it gets no byte.
func TestHandshakeTLS12RefusesBeforeFinished(t *testing.T) {
	cert := testpeer.SelfSigned(t, "127.0.0.1")
	chk, err := Load(Policy{PinFile: writePins(t, Sum{}.String()), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	var me *MismatchError
	_, err, srvErr := handshakeUpTo(t, chk, cert, tls.VersionTLS12)
	if !errors.As(err, &me) || srvErr == nil {
		t.Fatalf("client %v, server %v", err, srvErr)
	}
	chk, err = Load(Policy{PinFile: writePins(t, Of(cert.Leaf).Cert.String()), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err, srvErr := handshakeUpTo(t, chk, cert, tls.VersionTLS12); err != nil || srvErr != nil {
		t.Fatalf("the pinned server over TLS 1.2: client %v, server %v", err, srvErr)
	}
}
