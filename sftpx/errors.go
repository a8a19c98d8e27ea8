package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/kexinit"
)

// ErrTimeout is wrapped by every error that a deadline caused: the server
// did not answer, or a transfer made no progress, within Options.Timeout.
// Its text has no package prefix: it is always the cause inside another
// error ("sftpx: host:22: timed out: ..."), never the whole of one.
var ErrTimeout = errors.New("timed out")

// ParseError says why a remote path could not be parsed.
type ParseError struct {
	Input  string
	Reason string
	// Params: the sftp:// URI carries connection parameters
	// (";fingerprint=..." of draft-ietf-secsh-scp-sftp-ssh-uri), a host
	// key given beside the name, which this package does not take: pins
	// come from known_hosts files.
	Params bool
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("sftpx: %q: %s", e.Input, e.Reason)
}

// ErrIsDir is a directory that an operation would act on only if told to
// recurse: Remove with recursive false, Get, Put and Copy without
// TransferOptions.Recursive. It says what happened; a command line adds
// how to ask for recursion in its own words.
var ErrIsDir = errors.New("is a directory")

// HostKeyReason says why a server was not trusted.
type HostKeyReason int

const (
	// KeyUnknown: nothing pinned vouches for the host.
	KeyUnknown HostKeyReason = iota + 1
	// KeyMismatch: the host is pinned, with other keys than the one the
	// server proved: a machine in the middle, or a reinstalled server.
	KeyMismatch
	// KeyRevoked: a @revoked line names the key.
	KeyRevoked
	// KeyNoCommonType: the server offers none of the pinned key types, so
	// it cannot prove a pinned key. Legacy says Options.Legacy would help.
	KeyNoCommonType
)

func (r HostKeyReason) String() string {
	switch r {
	case KeyUnknown:
		return "unknown host"
	case KeyMismatch:
		return "host key mismatch"
	case KeyRevoked:
		return "revoked host key"
	case KeyNoCommonType:
		return "no pinned key type offered"
	}
	return "host key rejected"
}

// HostKeyError is Dial's refusal of a server before authentication: no
// user name and no credential was sent.
type HostKeyError struct {
	Name   string        // the host as known_hosts names it: "host" or "[host]:port"
	Reason HostKeyReason //
	Key    ssh.PublicKey // the key the server proved; nil for KeyNoCommonType
	Pinned []string      // the pinned key types, for KeyNoCommonType
	Offer  []string      // the server's host key algorithms, for KeyNoCommonType
	Legacy bool          // for KeyNoCommonType: only Options.Legacy algorithms could verify a pin
	Err    error         // knownhosts' *ChangedError, *UnknownError, *CertError or *RevokedError
}

func (e *HostKeyError) Error() string {
	switch {
	case e.Reason == KeyNoCommonType && e.Legacy:
		return fmt.Sprintf("sftpx: %s: the pinned key types (%s) need legacy algorithms", e.Name, strings.Join(e.Pinned, ", "))
	case e.Reason == KeyNoCommonType:
		return fmt.Sprintf("sftpx: %s: the server offers none of the pinned key types (pinned: %s; offered: %s)",
			e.Name, strings.Join(e.Pinned, ", "), strings.Join(e.Offer, ", "))
	case e.Key != nil:
		return fmt.Sprintf("sftpx: %s: %s: the server proved %s %s", e.Name, e.Reason, e.Key.Type(), ssh.FingerprintSHA256(e.Key))
	}
	return fmt.Sprintf("sftpx: %s: %s: %v", e.Name, e.Reason, e.Err)
}

func (e *HostKeyError) Unwrap() error { return e.Err }

// RekeyError is a server that proved another host key at a re-key than
// at the start of the connection; the connection was closed then.
type RekeyError struct {
	Addr     string
	Was, Now ssh.PublicKey
}

func (e *RekeyError) Error() string {
	return fmt.Sprintf("sftpx: %s: the server presented a different host key at re-key (%s %s, after %s %s at the start): connection closed",
		e.Addr, e.Now.Type(), ssh.FingerprintSHA256(e.Now), e.Was.Type(), ssh.FingerprintSHA256(e.Was))
}

// TrustError is a trust on first use (Options.TrustOnFirstUse) that could
// not write the pinned file; the connection was closed before
// authentication.
type TrustError struct {
	Path string
	Err  error
}

func (e *TrustError) Error() string {
	return fmt.Sprintf("sftpx: cannot pin the host key into %s: %v", e.Path, e.Err)
}

func (e *TrustError) Unwrap() error { return e.Err }

// ConnectError is a failure to reach the server or to speak SSH or SFTP
// with it, after or without a host key check.
type ConnectError struct {
	Addr string // host:port as dialled
	// Kind classifies the failure with scan's kinds (kexinit.KindRefused,
	// KindTimeout, KindNotSSH, KindClosed, ...), and this package's
	// KindNegotiation and KindForwardingRefused; "" when none fits.
	Kind kexinit.Kind
	Err  error
}

func (e *ConnectError) Error() string { return fmt.Sprintf("sftpx: %s: %v", e.Addr, e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }

// JumpError is a failure at a jump host: its key, its login, or the
// connection it was to open to the next host. Err is a *HostKeyError,
// *AuthError, *TrustError or *ConnectError (errors.As works through it).
type JumpError struct {
	Hop string // the jump host's host:port
	Err error
}

func (e *JumpError) Error() string {
	return fmt.Sprintf("sftpx: jump host %s: %s", e.Hop, strings.TrimPrefix(e.Err.Error(), "sftpx: "))
}
func (e *JumpError) Unwrap() error { return e.Err }

// AuthError is a server that proved its key but accepted no credential.
type AuthError struct {
	User  string
	Addr  string
	Tried []string // what was offered: "publickey (2 keys)", "password"
	// Unverified: the server's key was accepted without any check
	// (Options.InsecureAcceptAny), so the credentials went to a server
	// nothing vouched for.
	Unverified bool
	Err        error
}

func (e *AuthError) Error() string {
	tried := "nothing"
	if len(e.Tried) > 0 {
		tried = strings.Join(e.Tried, ", ")
	}
	return fmt.Sprintf("sftpx: %s@%s: authentication failed (offered %s): %v", e.User, e.Addr, tried, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// KeyFileError is an identity file that could not be used.
type KeyFileError struct {
	Path string
	Err  error
}

func (e *KeyFileError) Error() string { return fmt.Sprintf("sftpx: identity %s: %v", e.Path, e.Err) }
func (e *KeyFileError) Unwrap() error { return e.Err }

// TransferError names the file an operation failed on. Err is often
// fs.ErrNotExist or fs.ErrPermission (errors.Is works), a *VerifyError, or
// wraps ErrTimeout.
type TransferError struct {
	Op     string // "get", "put", "cp", "ls", "rm", "mkdir", "glob"
	Remote string // the remote path (for cp, the destination)
	Local  string // the local path (for cp, the source's remote path); "" for ls, rm, mkdir, glob
	Err    error
}

func (e *TransferError) Error() string {
	var what string
	switch {
	case e.Local == "":
		what = e.Remote
	case e.Op == "put" || e.Op == "cp":
		what = e.Local + " -> " + e.Remote
	default:
		what = e.Remote + " -> " + e.Local
	}
	return fmt.Sprintf("sftpx: %s %s: %s", e.Op, what, describe(e.Err))
}

func (e *TransferError) Unwrap() error { return e.Err }

// Reason is the error without the operation and the paths, for a caller
// that names the file its own way: "not found", "permission denied", ...
func (e *TransferError) Reason() string { return describe(e.Err) }

// VerifyError is a transfer whose result does not match its source: the
// size or the SHA-256 differs. Nothing was renamed into place.
type VerifyError struct {
	What       string // "uploaded file" or "downloaded file"
	WantBytes  int64
	GotBytes   int64
	WantSHA256 string // hex; "" when only the size was compared
	GotSHA256  string
	// Differs: the bytes read back differ from the bytes sent, first at
	// offset At (the sizes and digests are then not filled in).
	Differs bool
	At      int64
	// Server: GotSHA256 is the server's own hash of the file it holds
	// (check-file), not one of bytes read from it.
	Server bool
}

func (e *VerifyError) Error() string {
	if e.Differs {
		return fmt.Sprintf("sftpx: %s differs from what was sent, from byte %d on", e.What, e.At)
	}
	if e.WantBytes != e.GotBytes {
		return fmt.Sprintf("sftpx: %s has %d bytes, want %d", e.What, e.GotBytes, e.WantBytes)
	}
	if e.Server {
		return fmt.Sprintf("sftpx: the server hashes the %s as SHA-256 %s, want %s", e.What, e.GotSHA256, e.WantSHA256)
	}
	return fmt.Sprintf("sftpx: %s has SHA-256 %s, want %s", e.What, e.GotSHA256, e.WantSHA256)
}

// describe renders the status errors pkg/sftp returns in the words of
// sftp(1), so that a line per file reads "not found" rather than "open
// /x/y: file does not exist": the TransferError names the file already.
// Errors about the local side are wrapped by the caller ("local file: ..."),
// so they keep their text.
func describe(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	switch err {
	case nil:
		return "ok"
	case fs.ErrNotExist:
		return "not found"
	case fs.ErrPermission:
		return "permission denied"
	}
	if errors.Is(err, context.Canceled) {
		// The caller cancelled: Ctrl-C, for a command line.
		return "interrupted"
	}
	return strings.TrimPrefix(err.Error(), "sftpx: ")
}

// stepError says which step of an operation failed, in words, and keeps
// the cause for errors.Is (fs.ErrPermission, ErrTimeout, ...).
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + describe(e.err) }
func (e *stepError) Unwrap() error { return e.err }

func wrap(err error, format string, args ...any) error {
	return &stepError{step: fmt.Sprintf(format, args...), err: err}
}
