package sftpx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// procConn is the SSH stream over a proxy command's standard input and
// output, as ssh's ProxyCommand: a net.Conn whose deadlines work (pipes
// are pollable), so that the guard's timeouts and cancellation reach it.
type procConn struct {
	cmd     *exec.Cmd
	command string
	r, w    *os.File // our ends: the command's stdout, its stdin
	close   sync.Once
	stderr  *lastLine

	got    atomic.Bool   // it sent something
	eof    atomic.Bool   // its standard output ended, before we closed ours
	hup    atomic.Bool   // we signalled it to end
	exited chan struct{} // closed when Wait returned: cmd.ProcessState is set
}

// startProxyCommand runs command with /bin/sh -c "exec command" (as ssh
// does), its standard error to stderr (nil discards it); the last line of
// it is kept for a ProxyError.
func startProxyCommand(command string, stderr io.Writer) (*procConn, error) {
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	ll := &lastLine{w: stderr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, ll
	// A command that leaves a child holding its stderr must not hold
	// Close: Wait gives up on the copy after this.
	cmd.WaitDelay = closeGrace
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p := &procConn{cmd: cmd, command: command, r: outR, w: inW, stderr: ll, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *procConn) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.got.Store(true)
	}
	if err == io.EOF {
		p.eof.Store(true)
	}
	return n, err
}

func (p *procConn) Write(b []byte) (int, error) { return p.w.Write(b) }

// Close ends the stream and the command: ssh sends it SIGHUP; a command
// that ignores it is killed after closeGrace.
func (p *procConn) Close() error {
	p.close.Do(p.stop)
	return nil
}

func (p *procConn) stop() {
	p.w.Close()
	p.r.Close()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	if p.eof.Load() {
		// It closed its output: it is ending by itself, and how it ends
		// (its exit status) is worth the wait.
		select {
		case <-p.exited:
			return
		case <-t.C:
		}
		t.Reset(closeGrace)
	}
	p.hup.Store(true)
	p.cmd.Process.Signal(sigHangup)
	select {
	case <-p.exited:
	case <-t.C:
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// ended returns why the stream ended when the command ended it: it closed
// its output and exited (or was killed) without our asking. nil otherwise,
// or while it runs. Call it after Close.
func (p *procConn) ended() *ProxyError {
	if !p.eof.Load() || p.hup.Load() {
		return nil
	}
	select {
	case <-p.exited:
	default:
		return nil
	}
	ps := p.cmd.ProcessState
	if ps == nil {
		return nil
	}
	e := &ProxyError{Command: p.command, Started: p.got.Load(), Stderr: p.stderr.last()}
	if ps.Exited() {
		e.Status = ps.ExitCode()
	} else {
		e.Status, e.Signal = -1, ps.String()
	}
	return e
}

// proxyEnded replaces err, the failure of the first hop's connection, with
// the proxy command's end when the command ended the stream.
func proxyEnded(raw net.Conn, err error) error {
	p, ok := raw.(*procConn)
	if !ok {
		return err
	}
	var hke *HostKeyError
	var te *TrustError
	if errors.As(err, &hke) || errors.As(err, &te) {
		return err // refused by us: we closed the stream
	}
	pe := p.ended()
	if pe == nil {
		return err
	}
	// Not an AuthError any more: what failed was the command.
	var ce *ConnectError
	var ae *AuthError
	switch {
	case errors.As(err, &ce):
		pe.Err = ce.Err
		return &ConnectError{Addr: ce.Addr, Err: pe}
	case errors.As(err, &ae):
		pe.Err = ae.Err
		return &ConnectError{Addr: ae.Addr, Err: pe}
	}
	return err
}

// lastLine passes a proxy command's standard error on to w (nil discards
// it) and keeps its last line that is not blank.
type lastLine struct {
	w    io.Writer
	mu   sync.Mutex
	line []byte // the last complete line
	part []byte // what came after it so far
}

// maxLastLine bounds what is kept of a line.
const maxLastLine = 512

func (l *lastLine) Write(b []byte) (int, error) {
	l.mu.Lock()
	for _, c := range b {
		if c == '\n' {
			if len(bytes.TrimSpace(l.part)) > 0 {
				l.line = append(l.line[:0], l.part...)
			}
			l.part = l.part[:0]
			continue
		}
		if len(l.part) < maxLastLine {
			l.part = append(l.part, c)
		}
	}
	l.mu.Unlock()
	if l.w == nil {
		return len(b), nil
	}
	// Its stderr must not stop the command if ours fails.
	l.w.Write(b)
	return len(b), nil
}

func (l *lastLine) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.line
	if len(bytes.TrimSpace(l.part)) > 0 {
		s = l.part
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(s), "?"))
}

// ProxyError is a proxy command (Options.ProxyCommand) that ended the
// connection by ending: before the SSH handshake, or during it.
type ProxyError struct {
	Command string
	Status  int    // its exit status; -1 when a signal ended it
	Signal  string // how it ended otherwise ("signal: killed")
	Started bool   // it had passed on something of the server's
	Stderr  string // the last line it wrote to standard error, if any
	Err     error  // the connection's failure it caused
}

func (e *ProxyError) Error() string {
	how := fmt.Sprintf("exited with status %d", e.Status)
	if e.Status < 0 {
		how = "ended (" + e.Signal + ")"
	}
	when := "before"
	if e.Started {
		when = "during"
	}
	msg := fmt.Sprintf("the proxy command %s %s the SSH handshake: %s", how, when, e.Command)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *ProxyError) Unwrap() error { return e.Err }

func (p *procConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (p *procConn) RemoteAddr() net.Addr { return pipeAddr{} }
func (p *procConn) SetDeadline(t time.Time) error {
	if err := p.r.SetDeadline(t); err != nil {
		return err
	}
	return p.w.SetDeadline(t)
}
func (p *procConn) SetReadDeadline(t time.Time) error  { return p.r.SetDeadline(t) }
func (p *procConn) SetWriteDeadline(t time.Time) error { return p.w.SetDeadline(t) }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "proxy-command" }
