package sftpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/internal/proxycmd"
	"github.com/sshpin/sshpin/sshdial"
	"github.com/sshpin/sshpin/tlspin"
)

// Stream is an SFTP server reached with no SSH underneath, as OpenSSH's
// sftp -D reaches one: over a command's standard input and output, or
// over a socket, bare or in TLS. Exactly one of Command and Address is set.
//
// Over a bare stream nothing proves who answers: the command, or whoever
// listens on the socket, is the server. Over TLS the server's certificate
// is checked (TLS) inside the TLS handshake, so that a server that fails
// the check never receives an SFTP byte.
type Stream struct {
	// Command is run with /bin/sh -c "exec Command" (as sshdial.Options'
	// ProxyCommand is); its standard input and output carry SFTP, its
	// standard error goes to Stderr (nil discards it). Closing the Client
	// ends it (SIGHUP, then SIGKILL after a second) and reaps it.
	Command string
	Stderr  io.Writer

	// Network ("unix" or "tcp") and Address name a socket to dial.
	Network, Address string
	// TLS, when set, runs TLS over the socket and checks the server's
	// certificate with it.
	TLS *tlspin.Checker
}

// Name is how the stream is shown: "unix:/run/sftp.sock", "tls:host:port",
// "tcp:host:port", or the command.
func (s Stream) Name() string {
	switch {
	case s.Command != "":
		return s.Command
	case s.TLS != nil:
		return "tls:" + s.Address
	}
	return s.Network + ":" + s.Address
}

// StreamError is a stream that failed before SFTP could start: the
// command exited, the socket refused, the server spoke no SFTP.
type StreamError struct {
	Stream string // Stream.Name
	Err    error
}

func (e *StreamError) Error() string { return fmt.Sprintf("sftpx: %s: %v", e.Stream, e.Err) }
func (e *StreamError) Unwrap() error { return e.Err }

// DialStream starts SFTP on s. Of o it uses Timeout (connecting, the TLS
// handshake and the SFTP handshake together, then every request and every
// stall, as for Dial) and Events; the host key options do not apply, since
// no SSH runs. A TLS server that fails the certificate check is refused
// with the tlspin error (*tlspin.MismatchError, ...), unwrapped.
func DialStream(ctx context.Context, s Stream, o sshdial.Options) (*Client, error) {
	if o.Timeout <= 0 {
		return nil, errors.New("sftpx: Options.Timeout must be positive")
	}
	if (s.Command == "") == (s.Address == "") {
		return nil, errors.New("sftpx: a Stream has either a Command or an Address")
	}
	if s.TLS != nil && s.Command != "" {
		return nil, errors.New("sftpx: TLS over a command's stdio is not supported")
	}
	o.Events = serialized(o.Events)
	name := s.Name()
	fail := func(err error) (*Client, error) { return nil, &StreamError{Stream: name, Err: err} }

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var conn net.Conn
	var proc *proxycmd.Conn
	var verified *tlspin.Verified
	id := name
	if s.Command != "" {
		p, err := proxycmd.Start(s.Command, s.Stderr)
		if err != nil {
			return fail(err)
		}
		proc, conn = p, p
	} else {
		d := net.Dialer{Timeout: o.Timeout}
		c, err := d.DialContext(ctx, s.Network, s.Address)
		if err != nil {
			if guard.IsTimeout(err) {
				err = fmt.Errorf("%w: no connection within %s", ErrTimeout, o.Timeout)
			}
			return fail(err)
		}
		conn = c
		if s.TLS != nil {
			c.SetDeadline(time.Now().Add(o.Timeout))
			tc, v, err := s.TLS.Handshake(ctx, c, s.Address)
			if err != nil {
				c.Close()
				if refused(err) {
					return nil, err
				}
				if guard.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("%w: no TLS handshake within %s", ErrTimeout, o.Timeout)
				}
				return fail(fmt.Errorf("TLS handshake: %w", err))
			}
			c.SetDeadline(time.Time{})
			conn, verified = tc, v
			// Two connections to one server show one key.
			id = "tls:" + v.SPKI.Hex()
		}
	}

	g := guard.New(conn, o.Timeout)
	g.Begin()
	stop := context.AfterFunc(ctx, func() { g.Trip(ctx.Err()) })
	ses, err := startSFTP(g, g, g.Arm, o.Events)
	stop()
	if err != nil {
		g.Close()
		if r := g.Failure(); r != nil && !errors.Is(r, context.DeadlineExceeded) && !errors.Is(r, context.Canceled) {
			err = r
		} else if r != nil && errors.Is(r, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: no SFTP handshake within %s", ErrTimeout, o.Timeout)
		}
		if proc != nil {
			if pe := proc.Ended(); pe != nil {
				err = commandEnded(pe, err)
			}
		}
		return fail(fmt.Errorf("starting SFTP: %w", err))
	}
	g.End(nil)
	return &Client{sftp: ses.client, ses: ses, g: g, Addr: name, opts: o, started: time.Now(),
		inFlight: make(chan struct{}, uploadBudget(ses.chunk)), TLS: verified, stream: streamInfo{id: id, proc: proc}}, nil
}

// refused tells a certificate check's refusal from a broken handshake.
func refused(err error) bool {
	var me *tlspin.MismatchError
	var ue *tlspin.UnknownError
	var ce *tlspin.CAError
	var te *tlspin.TrustError
	return errors.As(err, &me) || errors.As(err, &ue) || errors.As(err, &ce) || errors.As(err, &te)
}

// commandEnded says how the command ended, when its end is why SFTP
// could not start.
func commandEnded(pe *proxycmd.Exit, err error) error {
	msg := "the command " + pe.How()
	if pe.Stderr != "" {
		msg += ": " + pe.Stderr
	}
	return fmt.Errorf("%s (%w)", msg, err)
}

// streamInfo is what a Client made by DialStream knows of its stream.
type streamInfo struct {
	id   string         // names the server: the command, the socket, the TLS key
	proc *proxycmd.Conn // the command, for -D; nil for a socket
}

// closeStream ends a stream Client. A command gets its standard input
// closed first and a moment (closeGrace) to end by itself, as OpenSSH's
// sftp closes the pipes and waits for its sftp-server: a server that
// finishes its work (and its log) is not cut short by the hangup that
// follows otherwise.
func (c *Client) closeStream() error {
	if p := c.stream.proc; p != nil {
		p.CloseInput()
		t := time.NewTimer(proxycmd.CloseGrace)
		select {
		case <-p.Exited():
		case <-t.C:
		}
		t.Stop()
	}
	c.sftp.Close()
	return c.g.Close()
}

// sameServer tells whether c and o are connections to one server: the
// same host key, or one stream (the same command or socket, or a TLS
// server with the same public key).
func (c *Client) sameServer(o *Client) bool {
	switch {
	case c.HostKey != nil && o.HostKey != nil:
		return bytes.Equal(c.HostKey.Marshal(), o.HostKey.Marshal())
	case c.stream.id != "" && o.stream.id != "":
		return c.stream.id == o.stream.id
	}
	return false
}
