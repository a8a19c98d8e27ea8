// Package proxycmd runs a command whose standard input and output carry a
// stream, as ssh runs its ProxyCommand: sshdial's connection to a first
// hop, sftpx's SFTP over a command (sftp -D).
package proxycmd

import (
	"bytes"
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

// CloseGrace is how long Close lets the command end by itself before it
// is killed.
const CloseGrace = time.Second

// Conn is the stream over a proxy command's standard input and
// output, as ssh's ProxyCommand: a net.Conn whose deadlines work (pipes
// are pollable), so that the guard's timeouts and cancellation reach it.
type Conn struct {
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

// Start runs command with /bin/sh -c "exec command" (as ssh
// does), its standard error to stderr (nil discards it); the last line of
// it is kept for Ended.
func Start(command string, stderr io.Writer) (*Conn, error) {
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
	cmd.WaitDelay = CloseGrace
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	p := &Conn{cmd: cmd, command: command, r: outR, w: inW, stderr: ll, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *Conn) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.got.Store(true)
	}
	if err == io.EOF {
		p.eof.Store(true)
	}
	return n, err
}

func (p *Conn) Write(b []byte) (int, error) { return p.w.Write(b) }

// Close ends the stream and the command: ssh sends it SIGHUP; a command
// that ignores it is killed after CloseGrace.
func (p *Conn) Close() error {
	p.close.Do(p.stop)
	return nil
}

func (p *Conn) stop() {
	p.w.Close()
	p.r.Close()
	t := time.NewTimer(CloseGrace)
	defer t.Stop()
	if p.eof.Load() {
		// It closed its output: it is ending by itself, and how it ends
		// (its exit status) is worth the wait.
		select {
		case <-p.exited:
			return
		case <-t.C:
		}
		t.Reset(CloseGrace)
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

// Exit is how a command ended that ended its stream by itself.
type Exit struct {
	Command string
	Status  int    // its exit status; -1 when a signal ended it
	Signal  string // how it ended otherwise ("signal: killed")
	Started bool   // it had passed on something
	Stderr  string // the last line it wrote to standard error, if any
}

// How is "exited with status N" or "ended (signal: ...)".
func (e *Exit) How() string {
	if e.Status < 0 {
		return "ended (" + e.Signal + ")"
	}
	return fmt.Sprintf("exited with status %d", e.Status)
}

// Ended returns how the command ended when it ended the stream: it closed
// its output and exited (or was killed) without our asking. nil otherwise,
// or while it runs. Call it after Close.
func (p *Conn) Ended() *Exit {
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
	e := &Exit{Command: p.command, Started: p.got.Load(), Stderr: p.stderr.last()}
	if ps.Exited() {
		e.Status = ps.ExitCode()
	} else {
		e.Status, e.Signal = -1, ps.String()
	}
	return e
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

func (p *Conn) LocalAddr() net.Addr  { return pipeAddr{} }
func (p *Conn) RemoteAddr() net.Addr { return pipeAddr{} }
func (p *Conn) SetDeadline(t time.Time) error {
	if err := p.r.SetDeadline(t); err != nil {
		return err
	}
	return p.w.SetDeadline(t)
}
func (p *Conn) SetReadDeadline(t time.Time) error  { return p.r.SetDeadline(t) }
func (p *Conn) SetWriteDeadline(t time.Time) error { return p.w.SetDeadline(t) }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "proxy-command" }

// CloseInput closes the command's standard input, for a command that
// ends by itself at its end (an sftp-server), before Close.
func (p *Conn) CloseInput() error { return p.w.Close() }

// Exited is closed once the command ended and was reaped.
func (p *Conn) Exited() <-chan struct{} { return p.exited }
