package sftpx

import (
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
)

// procConn is the SSH stream over a proxy command's standard input and
// output, as ssh's ProxyCommand: a net.Conn whose deadlines work (pipes
// are pollable), so that the guard's timeouts and cancellation reach it.
type procConn struct {
	cmd   *exec.Cmd
	r, w  *os.File // our ends: the command's stdout, its stdin
	close sync.Once
}

// startProxyCommand runs command with /bin/sh -c "exec command" (as ssh
// does), its standard error to stderr (nil discards it).
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
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
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
	return &procConn{cmd: cmd, r: outR, w: inW}, nil
}

func (p *procConn) Read(b []byte) (int, error)  { return p.r.Read(b) }
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
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(sigHangup)
		done := make(chan struct{})
		go func() {
			p.cmd.Wait()
			close(done)
		}()
		t := time.NewTimer(closeGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			p.cmd.Process.Kill()
			<-done
		}
	}
}

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
