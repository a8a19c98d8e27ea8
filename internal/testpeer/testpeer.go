// Package testpeer starts real SSH servers (OpenSSH sshd, dropbear) on
// 127.0.0.1 for tests, so that sshpin is tested against the servers it will
// meet rather than against its own idea of them.
//
// Each peer is a net.Listener owned by the test; every accepted connection
// is handed to a fresh server process in inetd mode (sshd -i, dropbear -i)
// as its stdin and stdout. The port is bound before the constructor returns,
// so there is no readiness to wait for, and the server can never bind
// anything but the test's loopback socket. A side effect worth knowing: no
// listening sshd exists, so OpenSSH's MaxStartups and (from 9.8)
// PerSourcePenalties, which only a listener keeps, never throttle a test.
//
//	p := testpeer.Modern(t)              // or Legacy, Dropbear, SSHD(t, cfg)
//	conn, err := kexinit.Dial(ctx, p.Host, p.Port)
//	want := testpeer.Keyscan(t, p)       // what the real ssh-keyscan says
//	ok, _ := testpeer.SSHAccepts(t, p, knownHostsFile)
//
// Peers stop when the test ends. The OpenSSH and dropbear binaries come from
// the system (./test.sh installs them); see Require for what happens when
// one is missing.
package testpeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Peer is one running server.
type Peer struct {
	Host string // always 127.0.0.1
	Port int
	Addr string // Host:Port

	// HostKeys are the private keys the server serves, in OpenSSH format as
	// ssh-keygen wrote them (dropbear gets converted copies in Dir);
	// PubKeys are their .pub files, in the same order.
	HostKeys []string
	PubKeys  []string
	// Certs are the host certificates (-cert.pub), parallel to PubKeys, and
	// CA the signing CA's public key, when SSHDConfig.HostCertificates asked.
	Certs []string
	CA    string

	Dir    string // the peer's private directory (t.TempDir)
	Config string // sshd_config path; "" for dropbear

	// Log returns what the server processes wrote to stderr so far, each
	// line prefixed with its connection number, for failure messages.
	Log func() string

	srv    *server
	kind   string
	mu     sync.Mutex
	gen    int
	rotate func(t testing.TB, keyTypes []string)
}

// Connections returns how many TCP connections the peer has accepted, so a
// test can assert how many connections a command spends on a host.
func (p *Peer) Connections() int { return int(p.srv.conns.Load()) }

// Idle waits until every connection the peer accepted so far has ended and
// its server process has exited, so that Log holds all they wrote: a server
// logs a connection's end after the client has already seen it. It fails
// the test if connections are still open after 30 seconds.
func (p *Peer) Idle(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if live, err := p.srv.waitIdle(ctx); err != nil {
		t.Fatalf("testpeer: %d connections to %s still open: %v\nserver log:\n%s", live, p.Addr, err, p.Log())
	}
}

// RotateKeys replaces the peer's host keys with new ones of keyTypes (the
// current types when none are given). The port stays the same and
// connections accepted afterwards see the new keys: a pinned-key drift test
// needs exactly that.
func (p *Peer) RotateKeys(t testing.TB, keyTypes ...string) {
	t.Helper()
	p.rotate(t, keyTypes)
}

// Require returns the absolute path of bin, looked up in PATH and in the
// sbin directories a non-root PATH lacks. A missing binary skips the test,
// except under CI=true, where a real peer that cannot run is a failure.
func Require(t testing.TB, bin string) string {
	t.Helper()
	if p, err := exec.LookPath(bin); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, bin)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("testpeer: %s not found (Debian: apt-get install openssh-server openssh-client dropbear-bin); ./test.sh installs it", bin)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
