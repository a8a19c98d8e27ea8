package sshdial

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/guard"
	"github.com/sshpin/sshpin/kexinit"
)

// ErrTimeout is wrapped by every error that a deadline caused: the server
// did not answer within Options.Timeout. Its text has no package prefix:
// it is always the cause inside another error ("sshdial: host:22: timed
// out: ..."), never the whole of one.
var ErrTimeout = guard.ErrTimeout

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
		return fmt.Sprintf("sshdial: %s: the pinned key types (%s) need legacy algorithms", e.Name, strings.Join(e.Pinned, ", "))
	case e.Reason == KeyNoCommonType:
		return fmt.Sprintf("sshdial: %s: the server offers none of the pinned key types (pinned: %s; offered: %s)",
			e.Name, strings.Join(e.Pinned, ", "), strings.Join(e.Offer, ", "))
	case e.Key != nil:
		return fmt.Sprintf("sshdial: %s: %s: the server proved %s %s", e.Name, e.Reason, e.Key.Type(), ssh.FingerprintSHA256(e.Key))
	}
	return fmt.Sprintf("sshdial: %s: %s: %v", e.Name, e.Reason, e.Err)
}

func (e *HostKeyError) Unwrap() error { return e.Err }

// RekeyError is a server that proved another host key at a re-key than
// at the start of the connection; the connection was closed then.
type RekeyError struct {
	Addr     string
	Was, Now ssh.PublicKey
}

func (e *RekeyError) Error() string {
	return fmt.Sprintf("sshdial: %s: the server presented a different host key at re-key (%s %s, after %s %s at the start): connection closed",
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
	return fmt.Sprintf("sshdial: cannot pin the host key into %s: %v", e.Path, e.Err)
}

func (e *TrustError) Unwrap() error { return e.Err }

// ConnectError is a failure to reach the server or to speak SSH with it
// (or, from package sftpx, SFTP), after or without a host key check.
type ConnectError struct {
	Addr string // host:port as dialled
	// Kind classifies the failure with scan's kinds (kexinit.KindRefused,
	// KindTimeout, KindNotSSH, KindClosed, ...), and this package's
	// KindNegotiation and KindForwardingRefused; "" when none fits.
	Kind kexinit.Kind
	Err  error
}

func (e *ConnectError) Error() string { return fmt.Sprintf("sshdial: %s: %v", e.Addr, e.Err) }
func (e *ConnectError) Unwrap() error { return e.Err }

// JumpError is a failure at a jump host: its key, its login, or the
// connection it was to open to the next host. Err is a *HostKeyError,
// *AuthError, *TrustError or *ConnectError (errors.As works through it).
type JumpError struct {
	Hop string // the jump host's host:port
	Err error
}

func (e *JumpError) Error() string {
	return fmt.Sprintf("sshdial: jump host %s: %s", e.Hop, strings.TrimPrefix(e.Err.Error(), "sshdial: "))
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
	return fmt.Sprintf("sshdial: %s@%s: authentication failed (offered %s): %v", e.User, e.Addr, tried, e.Err)
}

func (e *AuthError) Unwrap() error { return e.Err }

// KeyFileError is an identity file that could not be used.
type KeyFileError struct {
	Path string
	Err  error
}

func (e *KeyFileError) Error() string { return fmt.Sprintf("sshdial: identity %s: %v", e.Path, e.Err) }
func (e *KeyFileError) Unwrap() error { return e.Err }
