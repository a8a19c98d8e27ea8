package knownhosts

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// ErrTooLarge is returned (wrapped) for a file larger than MaxFileSize.
var ErrTooLarge = errors.New("knownhosts: file too large")

// SyntaxError says why a line is Invalid.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("knownhosts: %s:%d: %s", e.File, e.Line, e.Msg)
}

// ChangedError is the answer for a host that has keys pinned, none of them
// the one presented: OpenSSH's "REMOTE HOST IDENTIFICATION HAS CHANGED",
// the machine-in-the-middle case. Like OpenSSH, a pin of another key type
// counts: a host is either known or not.
type ChangedError struct {
	Name string // the host as known_hosts names it: "host" or "[host]:port"
	Key  ssh.PublicKey
	Want []*Line // the pinned entries that did not match
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("knownhosts: %s: %s key %s is not the pinned one (pinned at %s)",
		e.Name, e.Key.Type(), ssh.FingerprintSHA256(e.Key), positions(e.Want))
}

// UnknownError is the answer for a host nothing pins a key for, and no CA
// vouches for with a valid certificate.
type UnknownError struct {
	Name string
	Key  ssh.PublicKey
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("knownhosts: %s: no key pinned (offered %s %s)", e.Name, e.Key.Type(), ssh.FingerprintSHA256(e.Key))
}

// RevokedError is returned for a key, or a certificate's key or CA, that a
// @revoked line names.
type RevokedError struct {
	Key  ssh.PublicKey
	Line *Line
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("knownhosts: %s key %s is revoked (%s)",
		e.Key.Type(), ssh.FingerprintSHA256(e.Key), e.Line.Pos())
}

// CertError is the answer for a host certificate that a @cert-authority
// line's CA signed but that is not valid for the host (Err says why), when
// the certificate's key, tried next as OpenSSH does, is not accepted
// either: Unwrap returns that answer, a *ChangedError or an *UnknownError.
type CertError struct {
	Name     string
	CA       *Line
	Err      error
	Fallback error
}

func (e *CertError) Error() string {
	return fmt.Sprintf("knownhosts: %s: the certificate from the CA at %s is not valid: %v; and its key: %s",
		e.Name, e.CA.Pos(), e.Err, strings.TrimPrefix(e.Fallback.Error(), "knownhosts: "))
}

func (e *CertError) Unwrap() error { return e.Fallback }

// UnreadableError is the refusal to pin a host next to lines that name it
// but that sshpin cannot read: ssh may read them (a key type unknown here)
// and enforce a pin that a key written beside them would override.
type UnreadableError struct {
	Name  string
	Lines []*Line
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("knownhosts: %s: not pinned: %s", e.Name, e.Reason())
}

// Reason is why nothing was pinned, without the host's name: the lines,
// each as file:line and what is wrong with it.
func (e *UnreadableError) Reason() string {
	why := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		switch se, ok := l.Err.(*SyntaxError); {
		case ok:
			why[i] = l.Pos() + ": " + se.Msg
		case l.Err != nil:
			why[i] = l.Pos() + ": " + l.Err.Error()
		default:
			why[i] = fmt.Sprintf("%s: key type %q is unknown here", l.Pos(), l.KeyType)
		}
	}
	return "lines naming it cannot be read, and ssh may enforce them: " + strings.Join(why, "; ") + "; fix or remove them first"
}

// ConflictError is Plan's and Apply's refusal to change a pinned key
// without MergeOptions.Replace, or to replace one that a pattern line pins
// for other hosts as well. Change holds the whole plan for a diff.
type ConflictError struct {
	Change *Change
}

func (e *ConflictError) Error() string {
	var parts []string
	for _, r := range e.Change.Replaced {
		if r.New == nil {
			continue
		}
		why := "replace it to overwrite"
		if r.Shared {
			why = "that line pins other hosts too; edit it by hand"
		}
		parts = append(parts, fmt.Sprintf("%s key at %s differs from the offered one (%s)",
			r.Old.Key.Type(), r.Old.Pos(), why))
	}
	return fmt.Sprintf("knownhosts: %s: %s", e.Change.Name, strings.Join(parts, "; "))
}

func positions(ls []*Line) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Pos()
	}
	return strings.Join(s, ", ")
}
