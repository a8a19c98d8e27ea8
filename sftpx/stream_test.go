package sftpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/tlspin"
)

// roundTrip puts a file through c into dir (the server's directory, for
// relative paths), gets it back, and checks both copies.
func roundTrip(t *testing.T, c *Client, serverDir string) {
	t.Helper()
	ctx := t.Context()
	local := filepath.Join(t.TempDir(), "up.bin")
	data := bytes.Repeat([]byte("sshpin stream "), 40000) // several chunks
	if err := os.WriteFile(local, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var res []Result
	c.Put(ctx, local, "up.bin", TransferOptions{}, func(r Result) { res = append(res, r) })
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("put: %+v", res)
	}
	if got, err := os.ReadFile(filepath.Join(serverDir, "up.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the server's copy differs (%v)", err)
	}
	back := filepath.Join(t.TempDir(), "back.bin")
	res = nil
	c.Get(ctx, "up.bin", back, TransferOptions{}, func(r Result) { res = append(res, r) })
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("get: %+v", res)
	}
	if got, err := os.ReadFile(back); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the downloaded copy differs (%v)", err)
	}
}

func streamOptions() Options { return Options{Timeout: 30 * time.Second} }

func TestDialStreamCommand(t *testing.T) {
	server := testpeer.SFTPServer(t)
	dir := t.TempDir()
	var stderr bytes.Buffer
	c, err := DialStream(t.Context(), Stream{Command: server + " -e -l INFO -d " + dir, Stderr: &stderr}, streamOptions())
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS != nil || c.HostKey != nil || c.Addr != server+" -e -l INFO -d "+dir {
		t.Errorf("client %+v", c)
	}
	roundTrip(t, c, dir)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Close reaps the command: its last words are in.
	if !strings.Contains(stderr.String(), "session closed") {
		t.Errorf("sftp-server's stderr:\n%s", stderr.String())
	}
}

func TestDialStreamUnixSocket(t *testing.T) {
	p := testpeer.SFTPOverUnix(t)
	c, err := DialStream(t.Context(), Stream{Network: "unix", Address: p.Addr}, streamOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Addr != "unix:"+p.Addr {
		t.Errorf("Addr %q", c.Addr)
	}
	roundTrip(t, c, p.Root)
}

func tlsChecker(t *testing.T, p tlspin.Policy) *tlspin.Checker {
	t.Helper()
	chk, err := tlspin.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return chk
}

func certPinFile(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.pins")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDialStreamTLS(t *testing.T) {
	ca := testpeer.NewCA(t, "test CA")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, ca.PEM(), 0o644)
	pinned := testpeer.SelfSigned(t, "127.0.0.1")
	tests := []struct {
		name   string
		cert   tls.Certificate
		policy tlspin.Policy
		ok     bool
	}{
		{"the pinned certificate", pinned, tlspin.Policy{PinFile: certPinFile(t, tlspin.Of(pinned.Leaf).Cert.OpenSSL())}, true},
		{"the pinned public key", pinned, tlspin.Policy{PinFile: certPinFile(t, tlspin.Line(tlspin.SPKI, tlspin.Of(pinned.Leaf).SPKI))}, true},
		{"a CA-signed certificate", ca.Issue(t, "127.0.0.1"), tlspin.Policy{CAFile: caFile}, true},
		{"another certificate than the pinned one", testpeer.SelfSigned(t, "127.0.0.1"), tlspin.Policy{PinFile: certPinFile(t, tlspin.Of(pinned.Leaf).Cert.String())}, false},
		{"a certificate the CA did not sign", pinned, tlspin.Policy{CAFile: caFile}, false},
		{"a CA-signed certificate for another name", ca.Issue(t, "other.test"), tlspin.Policy{CAFile: caFile}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testpeer.SFTPOverTLS(t, tt.cert)
			tt.policy.ServerName = "127.0.0.1"
			c, err := DialStream(t.Context(), Stream{Network: "tcp", Address: p.Addr, TLS: tlsChecker(t, tt.policy)}, streamOptions())
			if tt.ok {
				if err != nil {
					t.Fatalf("%v\n%s", err, p.Log())
				}
				defer c.Close()
				if c.TLS == nil || c.TLS.Fingerprints != tlspin.Of(tt.cert.Leaf) {
					t.Errorf("TLS %+v", c.TLS)
				}
				roundTrip(t, c, p.Root)
				return
			}
			var me *tlspin.MismatchError
			var ce *tlspin.CAError
			if !errors.As(err, &me) && !errors.As(err, &ce) {
				t.Fatalf("got %v, want a refusal", err)
			}
			if p.Connections() != 1 || p.Spawned() != 0 {
				t.Errorf("%d connections, %d sftp-servers started: the refused server must start none\n%s", p.Connections(), p.Spawned(), p.Log())
			}
		})
	}
}

// A command that ends before speaking SFTP is named with how it ended and
// its last words.
func TestDialStreamCommandExits(t *testing.T) {
	_, err := DialStream(t.Context(), Stream{Command: "sh -c 'echo no such server >&2; exit 3'"}, streamOptions())
	var se *StreamError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StreamError", err)
	}
	for _, want := range []string{"exited with status 3", "no such server", "starting SFTP"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// processGone tells whether the process whose pid is in file has ended and
// been reaped.
func processGone(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// A command that never answers is bounded by the timeout, or by the
// caller's cancellation (Ctrl-C), and is killed and reaped either way.
func TestDialStreamStalledCommand(t *testing.T) {
	tests := []struct {
		name   string
		cancel bool
		want   error
	}{
		{"timeout", false, ErrTimeout},
		{"cancel", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The shell becomes sleep, with an argument no other process
			// has: the process can be found, if it still exists, even when
			// the timeout killed it before it ran.
			marker := fmt.Sprintf("600.%d", time.Now().UnixNano()%1000000000)
			cmd := "sh -c 'echo running >&2; exec sleep " + marker + "'"
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			o := Options{Timeout: 300 * time.Millisecond}
			var stderr io.Writer
			if tt.cancel {
				o.Timeout = time.Hour
				// Cancelled once the command runs: it says so on stderr,
				// after writing its pid.
				stderr = writerFunc(func(b []byte) (int, error) {
					if bytes.Contains(b, []byte("running")) {
						cancel()
					}
					return len(b), nil
				})
			}
			_, err := DialStream(ctx, Stream{Command: cmd, Stderr: stderr}, o)
			if err == nil {
				t.Fatal("a stalled command: no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if pids := processesWith(t, marker); len(pids) > 0 {
				t.Errorf("the command is still running (or unreaped) after DialStream returned: pids %v", pids)
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// A server that stops answering after the handshake is bounded by the
// timeout, per request as over SSH, and Close then kills and reaps the
// command even though it cannot run to see its hangup.
func TestDialStreamServerStallsAfterHandshake(t *testing.T) {
	server := testpeer.SFTPServer(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd := "sh -c 'echo $$ > " + pidFile + "; exec " + server + "'"
	c, err := DialStream(t.Context(), Stream{Command: cmd}, streamOptions())
	if err != nil {
		t.Fatal(err)
	}
	// A generous timeout for the start on a loaded machine, a short one
	// for the request that is to stall.
	c.g.SetTimeout(300 * time.Millisecond)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	_, err = c.List(t.Context(), ".")
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("a stalled server: got %v, want ErrTimeout", err)
	}
	c.Close()
	if !processGone(t, pidFile) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Error("the stopped command outlived Close")
	}
}

// Close ends the command and reaps it.
func TestDialStreamCloseReapsTheCommand(t *testing.T) {
	server := testpeer.SFTPServer(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	c, err := DialStream(t.Context(), Stream{Command: "sh -c 'echo $$ > " + pidFile + "; exec " + server + "'"}, streamOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(t.Context(), "."); err != nil {
		t.Fatal(err)
	}
	if processGone(t, pidFile) {
		t.Fatal("the command ended before Close")
	}
	c.Close()
	if !processGone(t, pidFile) {
		t.Error("the command outlived Close")
	}
}

// A TLS server that accepts and never answers is bounded by the timeout.
func TestDialStreamTLSHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	defer func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	}()
	chk := tlsChecker(t, tlspin.Policy{PinFile: certPinFile(t, tlspin.Sum{}.String()), ServerName: "127.0.0.1"})
	_, err = DialStream(t.Context(), Stream{Network: "tcp", Address: ln.Addr().String(), TLS: chk}, Options{Timeout: 300 * time.Millisecond})
	var se *StreamError
	if !errors.As(err, &se) || !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want a *StreamError with ErrTimeout", err)
	}
}

// processesWith lists the processes, zombies included, whose command line
// has arg as an argument.
func processesWith(t *testing.T, arg string) []int {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(b, []byte{0}) {
			if string(a) == arg {
				pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
				out = append(out, pid)
			}
		}
	}
	// A zombie has an empty cmdline: an unreaped child of ours is one.
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) >= 2 && f[0] == "Z" && f[1] == strconv.Itoa(os.Getpid()) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			out = append(out, pid)
		}
	}
	return out
}
