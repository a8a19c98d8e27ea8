package sftpx

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// What the CLI says when a connection cannot be made: in its own words,
// without the package's prefix in the middle of a line.

// A wrong password against OpenSSH read "authentication failed (offered
// password): ssh: handshake failed: ssh: unexpected message type 51
// (expected 60)": after the password method, x/crypto tried
// keyboard-interactive, which sshd without a device for it refuses at
// once, and reported that. It now says what dropbear's case said.
func TestCLIWrongPasswordOpenSSH(t *testing.T) {
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, Extra: []string{
		"PasswordAuthentication yes", "KbdInteractiveAuthentication yes",
	}})
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	os.WriteFile(pinned, []byte(pinLines(t, p, peerKeys(t, p))), 0o600)
	r := sshpin(t, []string{"SSHPIN_PASSWORD=not-the-password"}, "sftp", "-F", "none", "--pinned", pinned, "ls", p.Addr+":/")
	want := "authentication failed (offered password): the password in $SSHPIN_PASSWORD was refused\n"
	if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "unexpected message") {
		t.Errorf("exit %d, want 2 and %q\n%s", r.code, want, r.stderr)
	}
}

// A proxy command that fails: "--proxy-command false" read
// "127.0.0.1:22201: ssh: handshake failed: EOF", not a word about the
// command. The line now says it ended, how, and what it said last.
func TestCLIProxyCommandExits(t *testing.T) {
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	os.WriteFile(pinned, nil, 0o600)
	for _, tc := range []struct {
		command, want string
	}{
		{"false", "sshpin: 127.0.0.1:22201: the proxy command exited with status 1 before the SSH handshake: false\n"},
		{"sh -c 'echo no route to the bastion >&2; exit 3'",
			"sshpin: 127.0.0.1:22201: the proxy command exited with status 3 before the SSH handshake: sh -c 'echo no route to the bastion >&2; exit 3': no route to the bastion\n"},
	} {
		r := sshpin(t, nil, "sftp", "-F", "none", "--pinned", pinned, "--proxy-command", tc.command, "ls", "127.0.0.1:22201:/")
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "EOF") {
			t.Errorf("--proxy-command %s: exit %d, want 2 and %q\n%s", tc.command, r.code, tc.want, r.stderr)
		}
	}
}

// A server that accepts and says nothing, or a proxy command that says
// nothing, read "127.0.0.1:22299: sftpx: timed out: the server did not
// answer within 5s": the package's prefix in the middle of the line.
func TestCLITimeoutHasNoPackagePrefix(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // silent
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	pinned := filepath.Join(dir, "pinned")
	os.WriteFile(pinned, nil, 0o600)
	for _, args := range [][]string{
		{"ls", "127.0.0.1:" + strconv.Itoa(port) + ":/"},
		{"--proxy-command", "sleep 100", "ls", "127.0.0.1:" + strconv.Itoa(port) + ":/"},
	} {
		r := sshpin(t, nil, append([]string{"sftp", "-F", "none", "--pinned", pinned, "--timeout", "500ms"}, args...)...)
		want := "sshpin: 127.0.0.1:" + strconv.Itoa(port) + ": timed out: the server did not answer within 500ms\n"
		if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "sftpx") {
			t.Errorf("%q: exit %d, want 2 and %q\n%s", args, r.code, want, r.stderr)
		}
	}
}

// The ProxyError behind the line: the exit status, whether the command
// had passed anything on, and its last line of standard error, which is
// still passed on to ProxyStderr.
func TestProxyCommandExitIsNamed(t *testing.T) {
	var stderr strings.Builder
	o := Options{Host: "127.0.0.1", Port: 22201, User: "u", Timeout: 5 * time.Second,
		ProxyCommand: `sh -c "printf 'first\\nlast words\\n' >&2; exit 4"`, ProxyStderr: &stderr}
	_, err := Dial(context.Background(), o)
	var pe *ProxyError
	var ce *ConnectError
	if !errors.As(err, &pe) || !errors.As(err, &ce) || ce.Addr != "127.0.0.1:22201" {
		t.Fatalf("Dial: %v, want a ConnectError with a ProxyError", err)
	}
	if pe.Status != 4 || pe.Started || pe.Stderr != "last words" {
		t.Errorf("ProxyError %+v", pe)
	}
	if stderr.String() != "first\nlast words\n" {
		t.Errorf("ProxyStderr got %q", stderr.String())
	}
	// A command that is still running when the deadline kills it is no
	// ProxyError: the timeout is the reason.
	o.ProxyCommand, o.Timeout = "sleep 100", 300*time.Millisecond
	_, err = Dial(context.Background(), o)
	if errors.As(err, &pe) || !errors.Is(err, ErrTimeout) {
		t.Errorf("Dial through sleep: %v, want a timeout", err)
	}
}
