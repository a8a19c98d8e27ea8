package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// server hands each connection on a loopback listener to a new process.
type server struct {
	ln    net.Listener
	argv  func() []string
	log   logBuffer
	conns atomic.Int64

	mu     sync.Mutex
	idle   *sync.Cond // signalled when a child ends
	closed bool
	live   map[*child]struct{}
	wg     sync.WaitGroup
}

type child struct {
	cmd  *exec.Cmd
	conn *net.TCPConn
}

// serve binds 127.0.0.1:0 at once, so the caller has its port before any
// process exists, and stops everything when the test ends.
func serve(t testing.TB, argv func() []string) *server {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testpeer: listen on 127.0.0.1: %v", err)
	}
	s := &server{ln: ln, argv: argv, live: map[*child]struct{}{}}
	s.idle = sync.NewCond(&s.mu)
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.close)
	return s
}

func (s *server) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				// Accept has no backoff; stopping with the reason in the log
				// beats spinning on EMFILE, and clients then fail fast.
				s.log.printf("testpeer: accept: %v; no longer accepting", err)
				s.ln.Close()
			}
			return
		}
		s.spawn(c.(*net.TCPConn), s.conns.Add(1))
	}
}

func (s *server) spawn(c *net.TCPConn, n int64) {
	f, err := c.File()
	if err != nil {
		s.log.printf("[%d] testpeer: %v", n, err)
		c.Close()
		return
	}
	// The child has its own descriptor once started; ours would only keep
	// the socket open after the child exits.
	defer f.Close()
	argv := s.argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout = f, f
	cmd.Stderr = s.log.prefixed(fmt.Sprintf("[%d] ", n))
	// Its own process group, so that cleanup reaches the privsep children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Descendants that escaped the group (a session calls setsid) may hold
	// the stderr pipe; Wait must not hang on them.
	cmd.WaitDelay = 5 * time.Second

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return
	}
	if err := cmd.Start(); err != nil {
		s.log.printf("[%d] testpeer: %v", n, err)
		c.Close()
		return
	}
	ch := &child{cmd: cmd, conn: c}
	s.live[ch] = struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := cmd.Wait()
		// We keep the connection only to be able to shut it down; once the
		// server is gone, the client must see the close.
		c.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil && !s.closed {
			s.log.printf("[%d] %s: %v", n, filepath.Base(argv[0]), err)
		}
		delete(s.live, ch)
		s.idle.Broadcast()
	}()
}

// waitIdle returns once no server process runs, or with ctx's error.
// cmd.Wait returns only after the child's stderr reached EOF, so by then
// the log holds everything the finished connections wrote.
func (s *server) waitIdle(ctx context.Context) (live int, err error) {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.idle.Broadcast()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.live) > 0 {
		if err := ctx.Err(); err != nil {
			return len(s.live), err
		}
		s.idle.Wait()
	}
	return 0, nil
}

func (s *server) close() {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for ch := range s.live {
		syscall.Kill(-ch.cmd.Process.Pid, syscall.SIGKILL)
		// shutdown(2) acts on the socket, not on our descriptor, so it also
		// ends a session process that left the process group.
		ch.conn.CloseRead()
		ch.conn.CloseWrite()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// logBuffer collects the stderr of every process of a peer.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// maxLog bounds what a chatty server (LogLevel DEBUG3 over many
// connections) can make a test hold.
const maxLog = 4 << 20

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write([]byte(fmt.Sprintf(format, args...) + "\n"))
}

func (l *logBuffer) write(p []byte) {
	if l.b.Len() < maxLog {
		l.b.Write(p)
	}
}

func (l *logBuffer) prefixed(prefix string) *prefixWriter {
	return &prefixWriter{l: l, prefix: prefix}
}

// prefixWriter marks each line with the connection it came from, since the
// processes of concurrent connections write to one log.
type prefixWriter struct {
	l       *logBuffer
	prefix  string
	midLine bool
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		if !w.midLine {
			w.l.write([]byte(w.prefix))
		}
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		w.l.write(line)
		w.midLine = line[len(line)-1] != '\n'
		rest = rest[len(line):]
	}
	return len(p), nil
}
