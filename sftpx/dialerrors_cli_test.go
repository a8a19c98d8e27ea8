package sftpx

import (
	"bufio"
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// fakeListener accepts connections on loopback and hands each to serve.
func fakeListener(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// kexinitPacket is a server's version line and a KEXINIT offering kex
// and ciphers (both directions), framed as RFC 4253 §6 says, unencrypted.
func kexinitPacket(kex, ciphers string) []byte {
	var p []byte
	p = append(p, 20)
	p = append(p, make([]byte, 16)...)
	for _, l := range []string{kex, "ssh-ed25519", ciphers, ciphers, "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0)
	pad := 8 - (len(p)+5)%8
	if pad < 4 {
		pad += 8
	}
	out := []byte("SSH-2.0-Fake_1.0\r\n")
	out = binary.BigEndian.AppendUint32(out, uint32(1+len(p)+pad))
	out = append(out, byte(pad))
	out = append(out, p...)
	return append(out, make([]byte, pad)...)
}

// Dial failures through the binary, each told with scan's words and the
// hint that fits it, not with x/crypto's raw text.
func TestCLIDialErrorsExplained(t *testing.T) {
	http := fakeListener(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	})
	unknownKex := fakeListener(t, func(c net.Conn) {
		c.Write(kexinitPacket("sntrup761x25519-sha512@openssh.com", "aes256-ctr"))
		bufio.NewReader(c).ReadString('\n')
		c.Read(make([]byte, 4096))
	})
	legacyKex := fakeListener(t, func(c net.Conn) {
		c.Write(kexinitPacket("diffie-hellman-group1-sha1", "aes128-ctr"))
		bufio.NewReader(c).ReadString('\n')
		c.Read(make([]byte, 4096))
	})
	hangsUp := fakeListener(t, func(net.Conn) {})
	ssh1 := fakeListener(t, func(c net.Conn) { c.Write([]byte("SSH-1.5-OldServer\r\n")) })
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()

	for _, c := range []struct {
		name, addr string
		want       []string
		kind       string // the --json record's error_kind, if checked
	}{
		{"an HTTP server", http, []string{"not an SSH server; it said \"HTTP/1.1 400 Bad Request", "hint: " + http + " answers, but not with SSH"}, "not-ssh"},
		{"no common key exchange", unknownKex, []string{"no common key exchange algorithm: the server offers sntrup761x25519-sha512@openssh.com; this client offers mlkem768x25519-sha256, curve25519-sha256", "hint: sshpin diagnose " + unknownKex}, "negotiation"},
		{"legacy key exchange only", legacyKex, []string{"no common key exchange algorithm: the server offers diffie-hellman-group1-sha1", "rerun with --legacy"}, ""},
		{"hangs up at once", hangsUp, []string{hangsUp + ": server closed the connection before sending a version line"}, "closed"},
		{"SSH-1 only", ssh1, []string{"server speaks only SSH-1", "hint: SSH-1 is broken and unsupported"}, "ssh1-only"},
		{"nothing listening", refused, []string{refused + ": connection refused", "hint: nothing listens on " + refused}, "refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := sshpin(t, nil, "sftp", "-F", "none", "--insecure-accept-any", "--timeout", "10s", "ls", c.addr+":")
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if strings.Contains(r.stderr, "handshake failed") {
				t.Errorf("x/crypto's raw error reached the user:\n%s", r.stderr)
			}
			if c.kind != "" {
				r := sshpin(t, nil, "sftp", "-F", "none", "--insecure-accept-any", "--timeout", "10s", "ls", "--json", c.addr+":")
				if recs := jsonLines(t, r.stdout); len(recs) != 1 || recs[0]["error_kind"] != c.kind {
					t.Errorf("--json: %s, want error_kind %q", r.stdout, c.kind)
				}
			}
		})
	}
}

// A jump host that refuses to forward (sshd's AllowTcpForwarding no) is
// named with what forbids it.
func TestCLIJumpForwardingProhibited(t *testing.T) {
	hopKey, hopPub := userKey(t, "")
	b := startBastion(t, bastionConfig{userKeys: []ssh.PublicKey{hopPub}, noForward: true})
	tgt := startServer(t, serverConfig{})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	lines := xknownhosts.Line([]string{"[" + b.Host + "]:" + strconv.Itoa(b.Port)}, b.Key.PublicKey()) + "\n" +
		xknownhosts.Line([]string{"[" + tgt.Host + "]:" + strconv.Itoa(tgt.Port)}, tgt.cfg.hostKeys[0].PublicKey()) + "\n"
	os.WriteFile(pinned, []byte(lines), 0o600)
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("Host "+b.Host+"\n  IdentityFile "+hopKey+"\n"), 0o600)
	r := sshpin(t, nil, "sftp", "-F", cfg, "--pinned", pinned, "-J", b.Addr, "ls", tgt.Addr+":")
	if r.code != 2 || !strings.Contains(r.stderr, "administratively prohibited") ||
		!strings.Contains(r.stderr, "hint: jump host "+b.Addr+" refuses to forward connections: its sshd forbids it (AllowTcpForwarding no") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// ssh_config's UserKnownHostsFile /dev/null pins nothing: the hint says
// so, instead of proposing to pin into /dev/null; trust on first use has
// nothing to write to.
func TestCLIKnownHostsDevNull(t *testing.T) {
	tgt := startServer(t, serverConfig{})
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("Host *\n  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n"), 0o600)
	r := sshpin(t, nil, "sftp", "-F", cfg, "ls", tgt.Addr+":")
	if r.code != 1 || strings.Contains(r.stderr, "--pinned /dev/null") ||
		!strings.Contains(r.stderr, "hint: the ssh configuration disables pinning for this host (UserKnownHostsFile /dev/null)") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	r = sshpin(t, nil, "sftp", "-F", cfg, "--trust-on-first-use", "ls", tgt.Addr+":")
	if r.code != 2 || !strings.Contains(r.stderr, "--trust-on-first-use has no file to write to (UserKnownHostsFile /dev/null)") {
		t.Errorf("--trust-on-first-use: exit %d\n%s", r.code, r.stderr)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device: %v", os.DevNull, err)
	}
}

// Under --insecure-accept-any nothing was verified, and a failed login
// must not say otherwise.
func TestCLIInsecureAuthFailure(t *testing.T) {
	tgt := startServer(t, serverConfig{password: "x"})
	r := sshpin(t, nil, "sftp", "-F", "none", "--insecure-accept-any", "ls", tgt.Addr+":")
	if r.code != 2 || strings.Contains(r.stderr, "the host key was verified") || !strings.Contains(r.stderr, "the host key was NOT verified (--insecure-accept-any)") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

// get with only a local name: the hint says how a remote file is written,
// not how to write a path with a colon it does not have.
func TestCLIGetNoRemoteHint(t *testing.T) {
	r := sshpin(t, nil, "sftp", "get", "notes.txt")
	if r.code != 2 || strings.Contains(r.stderr, "colon") || !strings.Contains(r.stderr, "[user@]host[:port]:PATH") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}
