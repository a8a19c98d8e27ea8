package kexinit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
)

// xServer runs golang.org/x/crypto/ssh's server with cfg on every
// connection, after writing preamble (lines before the version line).
func xServer(t *testing.T, cfg *ssh.ServerConfig, preamble string) (string, int) {
	t.Helper()
	return hostile(t, func(c net.Conn, done <-chan struct{}) {
		if preamble != "" {
			if _, err := c.Write([]byte(preamble)); err != nil {
				return
			}
		}
		sconn, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		defer sconn.Close()
		go ssh.DiscardRequests(reqs)
		for ch := range chans {
			ch.Reject(ssh.Prohibited, "no channels here")
		}
	})
}

func hostKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serverConfig(t *testing.T, key ssh.Signer, kex, ciphers, macs []string) *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{NoClientAuth: true, ServerVersion: "SSH-2.0-TapTest_1.0 in-process"}
	cfg.KeyExchanges, cfg.Ciphers, cfg.MACs = kex, ciphers, macs
	cfg.AddHostKey(key)
	return cfg
}

type handshake struct {
	tap    *kexinit.Tap // nil when x/crypto ran on the bare connection
	client *ssh.Client
	err    error
}

// dialSSH runs an x/crypto client handshake, through a Tap or not, within a
// deadline, and fails the test if it hangs past it.
func dialSSH(t *testing.T, host string, port int, throughTap bool, hostKeyCallback ssh.HostKeyCallback) handshake {
	t.Helper()
	const timeout = 10 * time.Second
	ch := make(chan handshake, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		conn, err := kexinit.Dial(ctx, host, port)
		if err != nil {
			ch <- handshake{err: err}
			return
		}
		var h handshake
		var c net.Conn = conn
		if throughTap {
			h.tap = kexinit.NewTap(conn, kexinit.Limits{})
			c = h.tap
		}
		cfg := &ssh.ClientConfig{User: "probe", HostKeyCallback: hostKeyCallback}
		sc, chans, reqs, err := ssh.NewClientConn(c, net.JoinHostPort(host, "22"), cfg)
		if err != nil {
			conn.Close()
			h.err = err
			ch <- h
			return
		}
		h.client = ssh.NewClient(sc, chans, reqs)
		// Past the hello the Tap must be transparent: a global request and
		// its reply cross it after the key exchange.
		if _, _, err := h.client.SendRequest("keepalive@openssh.com", true, nil); err != nil {
			h.err = err
		}
		ch <- h
	}()
	select {
	case h := <-ch:
		if h.client != nil {
			t.Cleanup(func() { h.client.Close() })
		}
		return h
	case <-time.After(timeout + 5*time.Second):
		t.Fatal("ssh handshake hung past its deadline")
		return handshake{}
	}
}

func TestTapSeesServerKexInit(t *testing.T) {
	key := hostKey(t)
	tests := []struct {
		name               string
		kex, ciphers, macs []string
	}{
		// Both curve25519 names: given only the RFC one, x/crypto adds the
		// @libssh.org alias to what it sends.
		{"modern", []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256"},
			[]string{"aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes256-ctr"},
			[]string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512"}},
		{"one of each", []string{"diffie-hellman-group14-sha256"}, []string{"aes128-ctr"}, []string{"hmac-sha2-256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, port := xServer(t, serverConfig(t, key, tt.kex, tt.ciphers, tt.macs), "")
			h := dialSSH(t, host, port, true, ssh.FixedHostKey(key.PublicKey()))
			if h.err != nil {
				t.Fatalf("handshake through the Tap: %v", h.err)
			}
			hello, err := h.tap.Hello()
			if err != nil || hello == nil {
				t.Fatalf("Tap.Hello() = %v, %v after a handshake", hello, err)
			}
			k := hello.KexInit
			// x/crypto's server adds the strict-kex marker to its first
			// KEXINIT (CVE-2023-48795); it is on the wire, so the Tap sees it.
			wantKex := append(append([]string{}, tt.kex...), "kex-strict-s-v00@openssh.com")
			for _, c := range []struct {
				field     string
				got, want []string
			}{
				{"kex_algorithms", k.KexAlgos, wantKex},
				{"server_host_key_algorithms", k.ServerHostKeyAlgos, []string{"ssh-ed25519"}},
				{"encryption_algorithms_client_to_server", k.CiphersClientServer, tt.ciphers},
				{"encryption_algorithms_server_to_client", k.CiphersServerClient, tt.ciphers},
				{"mac_algorithms_client_to_server", k.MACsClientServer, tt.macs},
				{"mac_algorithms_server_to_client", k.MACsServerClient, tt.macs},
				{"compression_algorithms_server_to_client", k.CompressionServerClient, []string{"none"}},
				{"languages_server_to_client", k.LanguagesServerClient, []string{}},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if b, ok := h.tap.Banner(); !ok || b.Software != "TapTest_1.0" || b.Comment != "in-process" || hello.Banner != b {
				t.Errorf("Banner() = %+v, %v; Hello banner %+v", b, ok, hello.Banner)
			}
			if p, err := kexinit.Parse(hello.Payload); err != nil || !reflect.DeepEqual(p, k) {
				t.Errorf("Hello.Payload parses to %+v, %v", p, err)
			}
		})
	}
}

// RFC 4253 §4.2 lets a server send lines before its version line and bounds
// only the version line. x/crypto v0.58.0 drops such lines but refuses one
// of 255 bytes or more ("overflow reading version string"); it does accept
// many short ones, up to 1024 lines, so DESIGN.md's "255 bytes in total" is
// not what the code does. The Tap reads the preamble itself and hands x/crypto
// a stream that starts at SSH-, so the long line passes too.
func TestTapStripsPreambleXCryptoRejects(t *testing.T) {
	key := hostKey(t)
	cfg := serverConfig(t, key, []string{"curve25519-sha256"}, []string{"aes128-ctr"}, []string{"hmac-sha2-256"})
	short := strings.Repeat("Authorised access only!\r\n", 12) // 300 bytes in 12 lines
	tests := []struct {
		name         string
		preamble     string
		lines        int
		xcryptoAlone bool
	}{
		{"none", "", 0, true},
		{"300 bytes in short lines", short, 12, true},
		{"one 300-byte line", strings.Repeat("=", 298) + "\r\n", 1, false},
		{"one 255-byte line, x/crypto's edge", strings.Repeat("-", 253) + "\r\n", 1, true},
		{"one 256-byte line", strings.Repeat("-", 254) + "\r\n", 1, false},
		{"short lines then a 300-byte one", short + strings.Repeat("=", 298) + "\n", 13, false},
		{"1000 lines", strings.Repeat("x\n", 1000), 1000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(short) != 300 {
				t.Fatalf("short preamble is %d bytes", len(short))
			}
			host, port := xServer(t, cfg, tt.preamble)
			alone := dialSSH(t, host, port, false, ssh.FixedHostKey(key.PublicKey()))
			if (alone.err == nil) != tt.xcryptoAlone {
				t.Errorf("x/crypto alone: err = %v, want success %v", alone.err, tt.xcryptoAlone)
			}
			h := dialSSH(t, host, port, true, ssh.FixedHostKey(key.PublicKey()))
			if h.err != nil {
				t.Fatalf("through the Tap: %v", h.err)
			}
			hello, err := h.tap.Hello()
			if err != nil {
				t.Fatalf("Tap.Hello: %v", err)
			}
			if hello.PreambleLines != tt.lines {
				t.Errorf("PreambleLines = %d, want %d", hello.PreambleLines, tt.lines)
			}
			if tt.lines > 0 && len(hello.Preamble) == 0 {
				t.Errorf("Tap kept no preamble line")
			}
		})
	}
}

// A HostKeyCallback's error ends the handshake before any credential is
// sent, and errors.Is finds it through x/crypto's wrapping; the Tap has the
// hello by then, so one handshake gives both the key and the KEXINIT.
func TestTapHostKeyCallbackSentinel(t *testing.T) {
	key := hostKey(t)
	cfg := serverConfig(t, key, []string{"curve25519-sha256"}, []string{"aes128-ctr"}, []string{"hmac-sha2-256"})
	host, port := xServer(t, cfg, "motd\r\n")
	errSeen := errors.New("key recorded")
	var seen ssh.PublicKey
	h := dialSSH(t, host, port, true, func(_ string, _ net.Addr, k ssh.PublicKey) error {
		seen = k
		return errSeen
	})
	if !errors.Is(h.err, errSeen) {
		t.Fatalf("handshake error %v, want the callback's sentinel", h.err)
	}
	if seen == nil || !bytes.Equal(seen.Marshal(), key.PublicKey().Marshal()) {
		t.Errorf("callback saw %v, want the server's key", seen)
	}
	hello, err := h.tap.Hello()
	if err != nil || hello.KexInit == nil || hello.KexInit.ServerHostKeyAlgos[0] != "ssh-ed25519" {
		t.Errorf("Tap.Hello() = %+v, %v; want the server's KEXINIT", hello, err)
	}
}

// When the peer is not an SSH server, the Tap's typed error is what x/crypto
// returns, so a scan reports "not an SSH server" rather than x/crypto's
// words, and Hello says the same.
func TestTapNotSSHSurfacesThroughXCrypto(t *testing.T) {
	host, port := hostile(t, func(c net.Conn, done <-chan struct{}) {
		c.Write([]byte("220 mail.example.com ESMTP\r\n"))
		drainUntilClose(c)
	})
	h := dialSSH(t, host, port, true, ssh.InsecureIgnoreHostKey())
	if kexinit.KindOf(h.err) != kexinit.KindNotSSH {
		t.Fatalf("handshake error %v, want kind %s through x/crypto", h.err, kexinit.KindNotSSH)
	}
	if _, err := h.tap.Hello(); kexinit.KindOf(err) != kexinit.KindNotSSH {
		t.Errorf("Tap.Hello() error %v, want %s", err, kexinit.KindNotSSH)
	}
	if _, ok := h.tap.Banner(); ok {
		t.Errorf("Banner() ok with no version line")
	}
}

// Before any byte has passed, Hello and Banner say nothing rather than block.
func TestTapBeforeHandshake(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tap := kexinit.NewTap(a, kexinit.Limits{})
	if h, err := tap.Hello(); h != nil || err != nil {
		t.Errorf("Hello() = %v, %v before any read", h, err)
	}
	if _, ok := tap.Banner(); ok {
		t.Errorf("Banner() ok before any read")
	}
}
