package sshdial

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/kexinit"
)

// The kinds of ConnectError beside scan's (kexinit.Kind).
const (
	// KindNegotiation: the server and this client share no algorithm of
	// one category; Err is a *NegotiationError.
	KindNegotiation kexinit.Kind = "negotiation"
	// KindForwardingRefused: a jump host refused to open the connection to
	// the next host as "administratively prohibited", which is what an
	// sshd that forbids forwarding (AllowTcpForwarding no, a restricted
	// key) answers.
	KindForwardingRefused kexinit.Kind = "forwarding-refused"
)

// NegotiationError is a key exchange that found no algorithm both sides
// speak in one category.
type NegotiationError struct {
	What   string   // x/crypto's name of the category: "key exchange", "client to server cipher", ...
	Server []string // what the server offers, in its order
	Client []string // what this client offered
	// Legacy is the part of Server that Options.Legacy would speak; set
	// only when Legacy was off.
	Legacy []string
	Err    *ssh.AlgorithmNegotiationError
}

func (e *NegotiationError) Error() string {
	return fmt.Sprintf("no common %s algorithm: the server offers %s; this client offers %s",
		e.What, strings.Join(e.Server, ", "), strings.Join(e.Client, ", "))
}

func (e *NegotiationError) Unwrap() error { return e.Err }

func negotiationError(ane *ssh.AlgorithmNegotiationError, legacyOn bool) *NegotiationError {
	// The client's list names pseudo-algorithms too (ext-info-c,
	// kex-strict-c-v00@openssh.com), which no server could pick.
	client := slices.DeleteFunc(slices.Clone(ane.SupportedAlgorithms), func(a string) bool {
		return a == "ext-info-c" || strings.HasPrefix(a, "kex-strict-c-")
	})
	e := &NegotiationError{What: ane.What, Server: ane.RequestedAlgorithms, Client: client, Err: ane}
	if !legacyOn {
		legacy := newAlgorithms(true)
		var all []string
		switch {
		case strings.Contains(ane.What, "key exchange"):
			all = legacy.kex
		case strings.Contains(ane.What, "cipher"):
			all = legacy.ciphers
		case strings.Contains(ane.What, "MAC"):
			all = legacy.macs
		case strings.Contains(ane.What, "host key"):
			all = legacy.hostKeys
		}
		for _, a := range ane.RequestedAlgorithms {
			if slices.Contains(all, a) {
				e.Legacy = append(e.Legacy, a)
			}
		}
	}
	return e
}

// dialKind classifies a failed TCP connection as scan does.
func dialKind(err error) kexinit.Kind {
	var dns *net.DNSError
	switch {
	case guard.IsTimeout(err):
		return kexinit.KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return kexinit.KindRefused
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return kexinit.KindUnreachable
	case errors.As(err, &dns):
		return kexinit.KindResolve
	}
	return kexinit.KindNetwork
}

// dialCause drops the "dial tcp ...:" prefixes net adds, which repeat the
// address the error names already.
func dialCause(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// causeError words err its own way and keeps it for errors.Is and As.
type causeError struct {
	msg string
	err error
}

func (e *causeError) Error() string { return e.msg }
func (e *causeError) Unwrap() error { return e.err }

// hungUp: the server closed the connection.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
