package sshdial

import (
	"errors"
	"fmt"
	"net"

	"github.com/sshpin/sshpin/internal/proxycmd"
)

// proxyEnded replaces err, the failure of the first hop's connection, with
// the proxy command's end when the command ended the stream.
func proxyEnded(raw net.Conn, err error) error {
	p, ok := raw.(*proxycmd.Conn)
	if !ok {
		return err
	}
	var hke *HostKeyError
	var te *TrustError
	if errors.As(err, &hke) || errors.As(err, &te) {
		return err // refused by us: we closed the stream
	}
	x := p.Ended()
	if x == nil {
		return err
	}
	pe := &ProxyError{Command: x.Command, Status: x.Status, Signal: x.Signal, Started: x.Started, Stderr: x.Stderr}
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
	how := (&proxycmd.Exit{Status: e.Status, Signal: e.Signal}).How()
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
