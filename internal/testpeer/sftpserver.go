package testpeer

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// SFTPServerPath is where Debian's openssh-sftp-server puts sftp-server.
const SFTPServerPath = "/usr/lib/openssh/sftp-server"

// SFTPServer returns the path of OpenSSH's sftp-server, skipping the test
// when it is missing (failing it under CI=true, as Require does).
func SFTPServer(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat(SFTPServerPath); err == nil && fi.Mode()&0o111 != 0 {
		return SFTPServerPath
	}
	msg := "testpeer: " + SFTPServerPath + " not found (Debian: apt-get install openssh-sftp-server); ./test.sh installs it"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// StreamPeer is OpenSSH's sftp-server behind a listener the test owns:
// each connection (after the TLS handshake, for a TLS peer) is handed to a
// new sftp-server as its standard input and output, as a super-server
// (inetd, ncat -e, stunnel) would. sftp-server runs in Root, so relative
// paths land there.
type StreamPeer struct {
	Addr string // host:port, or the socket's path
	Root string

	ln      net.Listener
	tlsCfg  *tls.Config
	bin     string
	log     logBuffer
	conns   atomic.Int64
	spawned atomic.Int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	closed  bool
	live    map[*exec.Cmd]net.Conn
}

// SFTPOverTLS serves sftp-server over TLS on 127.0.0.1 with cert. A
// client that fails the handshake (a refused certificate) never gets a
// process.
func SFTPOverTLS(t testing.TB, cert tls.Certificate) *StreamPeer {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeer: listen: %v", err)
	}
	return startStream(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
}

// SFTPOverUnix serves sftp-server on a Unix socket in a temporary directory.
func SFTPOverUnix(t testing.TB) *StreamPeer {
	t.Helper()
	// A socket path is short (108 bytes): t.TempDir's can be too long.
	dir, err := os.MkdirTemp("", "sshpin-sock-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "sftp.sock"))
	if err != nil {
		t.Fatalf("testpeer: listen: %v", err)
	}
	return startStream(t, ln, nil)
}

func startStream(t testing.TB, ln net.Listener, cfg *tls.Config) *StreamPeer {
	p := &StreamPeer{Addr: ln.Addr().String(), Root: t.TempDir(), ln: ln, tlsCfg: cfg, bin: SFTPServer(t), live: map[*exec.Cmd]net.Conn{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Connections is how many connections the listener accepted; Spawned how
// many of them reached an sftp-server.
func (p *StreamPeer) Connections() int { return int(p.conns.Load()) }
func (p *StreamPeer) Spawned() int     { return int(p.spawned.Load()) }

// Log is what the sftp-servers and the TLS handshakes reported.
func (p *StreamPeer) Log() string { return p.log.String() }

func (p *StreamPeer) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		n := p.conns.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c, n)
		}()
	}
}

func (p *StreamPeer) serve(c net.Conn, n int64) {
	defer c.Close()
	if p.tlsCfg != nil {
		tc := tls.Server(c, p.tlsCfg)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			p.log.printf("conn %d: TLS handshake: %v", n, err)
			return
		}
		c = tc
	}
	cmd := exec.Command(p.bin, "-e")
	cmd.Dir = p.Root
	cmd.Stdin, cmd.Stdout = c, c
	cmd.Stderr = p.log.prefixed(fmt.Sprintf("conn %d: ", n))
	cmd.WaitDelay = time.Second
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		p.log.printf("conn %d: start: %v", n, err)
		return
	}
	p.spawned.Add(1)
	p.live[cmd] = c
	p.mu.Unlock()
	err := cmd.Wait()
	p.mu.Lock()
	delete(p.live, cmd)
	p.mu.Unlock()
	p.log.printf("conn %d: sftp-server ended: %v", n, err)
}

func (p *StreamPeer) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for cmd, c := range p.live {
		cmd.Process.Kill()
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Ncat is `ncat -l 127.0.0.1 PORT -k -e sftp-server`, running in Root;
// Addr is where it listens. It is ready when Ncat returns: ncat -v says
// it listens before it accepts.
type Ncat struct {
	Addr string
	Root string
}

// NcatSFTP starts ncat with sftp-server behind it on loopback; args are
// more of ncat's options (--ssl --ssl-cert FILE --ssl-key FILE).
func NcatSFTP(t testing.TB, args ...string) *Ncat {
	t.Helper()
	bin := Require(t, "ncat")
	server := SFTPServer(t)
	root := t.TempDir()
	var lastErr error
	for try := 0; try < 5; try++ {
		// ncat cannot say which port it got for port 0: take a free one
		// and hand it over (another process may take it first: then retry).
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, port, _ := net.SplitHostPort(addr)
		cmd := exec.Command(bin, append(append([]string{"-v", "-l", "127.0.0.1", port, "-k"}, args...), "-e", server)...)
		cmd.Dir = root
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		ready := false
		var said []string
		for sc.Scan() {
			said = append(said, sc.Text())
			if strings.Contains(sc.Text(), "Listening on") {
				ready = true
				break
			}
		}
		if ready {
			go func() {
				for sc.Scan() {
				}
			}()
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			return &Ncat{Addr: addr, Root: root}
		}
		cmd.Process.Kill()
		cmd.Wait()
		lastErr = errors.New(strings.Join(said, "\n"))
	}
	t.Fatalf("testpeer: ncat did not listen: %v", lastErr)
	return nil
}
