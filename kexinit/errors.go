package kexinit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// Kind classifies why a server's hello could not be read, so that callers
// (and the JSON report) can tell a dead host from a hostile one without
// parsing error text.
type Kind string

const (
	KindResolve     Kind = "resolve"      // the name did not resolve
	KindRefused     Kind = "refused"      // TCP connection refused
	KindUnreachable Kind = "unreachable"  // no route, network down
	KindTimeout     Kind = "timeout"      // the deadline passed
	KindClosed      Kind = "closed"       // the server closed the connection early
	KindNotSSH      Kind = "not-ssh"      // the peer speaks something else
	KindSSH1        Kind = "ssh1-only"    // the server speaks only SSH-1
	KindMalformed   Kind = "malformed"    // the server's bytes break RFC 4253
	KindDisconnect  Kind = "disconnected" // SSH_MSG_DISCONNECT before KEXINIT
	KindLimit       Kind = "limit"        // the server sent more than the bounds allow
	KindNetwork     Kind = "network"      // any other socket error
)

// Error is the error every function of this package returns for a failure
// that concerns the server. Phase says how far the conversation got.
type Error struct {
	Kind   Kind
	Phase  string // "connect", "banner", "kexinit" or "gex"
	Detail string // worded for a person
	Err    error  // the underlying error, if any
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "kexinit: " + e.Detail
	}
	return fmt.Sprintf("kexinit: %s during %s: %v", e.Kind, e.Phase, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or "" when err carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// classify turns a socket error met during phase into an *Error. received
// counts the bytes read so far, which tells a tarpit from a silent server.
func classify(err error, phase string, received int) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) {
		return err
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		what := map[string]string{
			"connect": "connecting",
			"banner":  "waiting for the server's version line",
			"kexinit": "waiting for the server's KEXINIT",
			"gex":     "waiting for the server's group-exchange group",
		}[phase]
		return &Error{KindTimeout, phase, fmt.Sprintf("timed out %s (%d bytes received)", what, received), err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		what := map[string]string{
			"connect": "before the connection was set up",
			"banner":  "before sending a version line",
			"kexinit": "before sending its KEXINIT",
			"gex":     "once group exchange was chosen, before sending a group",
		}[phase]
		return &Error{KindClosed, phase, fmt.Sprintf("server closed the connection %s (%d bytes received)", what, received), err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{KindRefused, phase, "connection refused", err}
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EADDRNOTAVAIL):
		return &Error{KindUnreachable, phase, "host unreachable: " + rootCause(err).Error(), err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{KindResolve, phase, "cannot resolve " + dnsErr.Name + ": " + dnsErr.Err, err}
	}
	return &Error{KindNetwork, phase, phase + ": " + rootCause(err).Error(), err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// rootCause drops the "dial tcp ...:" prefixes net adds, which repeat what
// the report already says in its target column.
func rootCause(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
