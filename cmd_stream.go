package main

// sftp over a stream with no SSH underneath (sftp -D's way), and over TLS
// with the certificate pinned: the flags, the connection, and what it says.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/sftpx"
	"github.com/sshpin/sshpin/sshdial"
	"github.com/sshpin/sshpin/target"
	"github.com/sshpin/sshpin/tlspin"
)

func streamFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sftp-command", Aliases: []string{"D"}, Usage: "run `CMD` (sh -c) and speak SFTP over its stdin/stdout, as sftp -D; remote files are then :PATH. Nothing verifies the server"},
		&cli.StringFlag{Name: "stream", Usage: "speak SFTP over the socket `ADDR`: unix:/path or tcp:host:port; remote files are then :PATH. Nothing verifies the server"},
		&cli.StringFlag{Name: "tls", Usage: "speak SFTP over TLS to `HOST:PORT`, the certificate checked with --pinned-cert and/or --tls-ca before the first SFTP byte; remote files are then :PATH"},
		&cli.StringFlag{Name: "pinned-cert", Usage: "with --tls: the pin `FILE`, SHA-256 fingerprints of the certificate or its public key (SPKI), one a line", TakesFile: true},
		&cli.StringFlag{Name: "tls-ca", Usage: "with --tls: a PEM bundle `FILE` of CAs, one of which must have signed the certificate, for the name", TakesFile: true},
		&cli.StringFlag{Name: "tls-name", Usage: "with --tls: the `NAME` a CA-signed certificate must be issued for, and sent in SNI (default: the --tls host)"},
	}
}

// streamGiven tells whether the run speaks to a stream server.
func streamGiven(cmd *cli.Command) bool {
	return cmd.String("sftp-command") != "" || cmd.String("stream") != "" || cmd.String("tls") != ""
}

// isRemoteArg is sftpx.IsRemote, and with a stream flag also :PATH, a file
// on the stream's server. Without one, :PATH stays a local name, as in scp.
func isRemoteArg(cmd *cli.Command, a string) bool {
	return sftpx.IsRemote(a) || (streamGiven(cmd) && strings.HasPrefix(a, ":"))
}

// parseRemoteArg is sftpx.ParseRemote, and :PATH for the stream's server:
// a Remote with no host.
func parseRemoteArg(a string) (sftpx.Remote, error) {
	if strings.HasPrefix(a, ":") {
		if strings.IndexByte(a, 0) >= 0 {
			return sftpx.Remote{}, &sftpx.ParseError{Input: a, Reason: "contains a NUL byte"}
		}
		return sftpx.Remote{Port: target.DefaultPort, Path: a[1:]}, nil
	}
	return sftpx.ParseRemote(a)
}

// streamOf reads the stream flags into a Stream, with the TLS policy's
// files read (before anything reaches the network).
func (e *env) streamOf(cmd *cli.Command) (sftpx.Stream, error) {
	var s sftpx.Stream
	given := 0
	for _, f := range []string{"sftp-command", "stream", "tls"} {
		if cmd.String(f) != "" {
			given++
		}
	}
	if given > 1 {
		return s, &usageError{msg: "-D, --stream and --tls exclude each other", hint: "name one stream"}
	}
	pin, ca, name := cmd.String("pinned-cert"), cmd.String("tls-ca"), cmd.String("tls-name")
	if cmd.String("tls") == "" && (pin != "" || ca != "" || name != "") {
		return s, &usageError{msg: "--pinned-cert, --tls-ca and --tls-name go with --tls", hint: "sshpin sftp --tls HOST:PORT --pinned-cert FILE ..."}
	}
	switch {
	case cmd.String("sftp-command") != "":
		s.Command = cmd.String("sftp-command")
		s.Stderr = &prefixLines{e: e, prefix: "sftp command: "}
	case cmd.String("stream") != "":
		a := cmd.String("stream")
		n, addr, err := sftpx.ParseStreamAddress(a)
		if err != nil {
			why := reason(err)
			if se := (*sftpx.StreamAddressError)(nil); errors.As(err, &se) {
				why = se.Reason
			}
			return s, &usageError{msg: fmt.Sprintf("--stream %s: %s", a, why), hint: "--stream unix:/run/sftp.sock or tcp:host:port"}
		}
		s.Network, s.Address = n, addr
	default:
		t, err := target.Parse(cmd.String("tls"))
		if err != nil {
			return s, &usageError{msg: fmt.Sprintf("--tls %s: %s", cmd.String("tls"), reason(err)), hint: "--tls HOST:PORT"}
		}
		if pin == "" && ca == "" {
			return s, &usageError{msg: "--tls needs --pinned-cert FILE or --tls-ca FILE: nothing would verify the server",
				hint: fmt.Sprintf("sshpin scan --tls %s > server.pins prints its fingerprints; verify them, then --pinned-cert server.pins (or --trust-on-first-use --pinned-cert FILE)", t)}
		}
		tofu := cmd.Bool("trust-on-first-use")
		if tofu && pin == "" {
			return s, &usageError{msg: "--trust-on-first-use has no file to write to", hint: "name one with --pinned-cert FILE"}
		}
		if cmd.Bool("insecure-accept-any") {
			return s, &usageError{msg: "--insecure-accept-any does not go with --tls", hint: "--trust-on-first-use --pinned-cert FILE pins the certificate and checks it next time"}
		}
		if name == "" {
			name = t.Host
		}
		chk, err := tlspin.Load(tlspin.Policy{PinFile: pin, TrustOnFirstUse: tofu, CAFile: ca, ServerName: name})
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return s, &usageError{msg: fmt.Sprintf("cannot read the pin file: %v", err),
					hint: fmt.Sprintf("sshpin scan --tls %s > %s writes it; verify the fingerprints out of band (or rerun with --trust-on-first-use)", t, pin)}
			}
			return s, &exitError{exitFailure, errors.New(strings.TrimPrefix(err.Error(), "tlspin: "))}
		}
		s.Network, s.Address, s.TLS = "tcp", t.String(), chk
	}
	return s, nil
}

// connectStream is connect for a :PATH remote: the stream flags name
// where the server is.
func (e *env) connectStream(ctx context.Context, cmd *cli.Command, server sftpx.Remote) (*sftpSession, error) {
	if !streamGiven(cmd) {
		return nil, &usageError{msg: fmt.Sprintf("%q names a file on a stream server, and no stream is given", server.String()),
			hint: "give -D CMD, --stream unix:/path or --tls HOST:PORT; write ./" + strings.TrimPrefix(server.String(), ":") + " for a local file"}
	}
	timeout := cmd.Duration("timeout")
	if timeout <= 0 {
		return nil, &usageError{msg: "--timeout must be positive"}
	}
	st, err := e.streamOf(cmd)
	if err != nil {
		return nil, err
	}
	if st.TLS == nil && !e.streamWarned {
		e.streamWarned = true
		if st.Command != "" {
			e.warnf("warning: SFTP over the standard input and output of %q: sshpin cannot verify who is at the other end of a bare stream; the command decides which server this is", st.Command)
		} else {
			e.warnf("warning: SFTP over %s with no SSH and no TLS: sshpin cannot verify who is at the other end of a bare stream; whoever listens there is the server", st.Name())
		}
	}
	s := &sftpSession{server: server, json: cmd.Bool("json"), progress: e.newFileProgress()}
	o := sshdial.Options{Timeout: timeout, Events: func(ev sshdial.Event) { e.sftpEvent(s, ev) }}
	c, err := sftpx.DialStream(ctx, st, o)
	if pl, ok := st.Stderr.(*prefixLines); ok && err != nil {
		pl.flush()
	}
	if err != nil {
		exit, why := e.streamError(ctx, err, st)
		if s.json {
			report.WriteJSON(e.stdout, report.FileRecord{Remote: server.String(), Error: why})
		}
		return nil, exit
	}
	if v := c.TLS; v != nil && v.Trusted {
		e.warnf("warning: trusted %s on first use: pinned its public key spki %s (certificate %s) into %s without verification", st.Name(), v.SPKI, v.Cert, v.PinFile)
	}
	if pl, ok := st.Stderr.(*prefixLines); ok {
		s.after = pl.flush
	}
	s.c = c
	return s, nil
}

// streamError maps a stream that failed to the exit contract: a
// certificate the pins or the CA do not vouch for is a finding (1), as a
// host key mismatch is; anything else is a job not done (2).
func (e *env) streamError(ctx context.Context, err error, st sftpx.Stream) (exit error, why string) {
	var me *tlspin.MismatchError
	var ue *tlspin.UnknownError
	var ce *tlspin.CAError
	name := st.Name()
	refused := func(what string, got tlspin.Fingerprints) string {
		why := "refused before SFTP, nothing was sent: " + what
		e.warnf("%s: %s", name, why)
		// One fingerprint a line: side by side they were 220 columns.
		e.warnf("  presented: certificate %s", got.Cert)
		e.warnf("             (%s)", got.Cert.OpenSSL())
		e.warnf("             public key spki %s", got.SPKI)
		return why
	}
	switch {
	case ctx.Err() != nil:
		return &exitError{exitInterrupted, errors.New("interrupted")}, "interrupted"
	case errors.As(err, &me):
		why := refused("the certificate matches no pin in "+me.Path, me.Got)
		for _, p := range me.Want {
			e.warnf("  pinned: %s %s (line %d)", p.Kind, p.Sum, p.Line)
		}
		e.hintf("a machine in the middle, or a new certificate: verify the new one out of band (sshpin scan --tls %s prints it), then replace the pin in %s", st.Address, me.Path)
		return &exitError{exitFindings, nil}, why
	case errors.As(err, &ue):
		why := refused(ue.Path+" pins nothing", ue.Got)
		e.hintf("verify the certificate out of band, then: sshpin scan --tls %s > %s (or rerun with --trust-on-first-use)", st.Address, ue.Path)
		return &exitError{exitFindings, nil}, why
	case errors.As(err, &ce):
		why := refused(fmt.Sprintf("%s does not vouch for the certificate for %q: %v", ce.Path, ce.Name, ce.Err), ce.Got)
		e.hintf("check the CA bundle, and the name with --tls-name")
		return &exitError{exitFindings, nil}, why
	}
	why = strings.TrimPrefix(unprefixed(err.Error()), "tlspin: ")
	return &exitError{exitFailure, errors.New(why)}, why
}

// prefixLines passes the sftp command's standard error on, a line at a
// time, through the one escaping function and under our prefix: what a
// remote server writes there must not drive the terminal.
type prefixLines struct {
	e      *env
	prefix string
	mu     sync.Mutex
	part   []byte
}

// maxStderrLine bounds what is held of a line that does not end.
const maxStderrLine = 4096

func (p *prefixLines) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.part = append(p.part, b...)
			if len(p.part) >= maxStderrLine {
				p.emitLocked()
			}
			break
		}
		p.part = append(p.part, b[:i]...)
		b = b[i+1:]
		p.emitLocked()
	}
	return n, nil
}

func (p *prefixLines) emitLocked() {
	line := strings.TrimRight(strings.ToValidUTF8(string(p.part), "\uFFFD"), "\r")
	p.part = p.part[:0]
	p.e.warnf("%s%s", p.prefix, line)
}

// flush shows a last line that did not end in a newline.
func (p *prefixLines) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.part) > 0 {
		p.emitLocked()
	}
}
