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

// KeyError is Verify's answer for a key that is not pinned for the host:
// with no Want the host is unknown, otherwise the key does not match.
type KeyError struct {
	Name string // the host as known_hosts names it: "host" or "[host]:port"
	Key  ssh.PublicKey
	Want []*Line // the pinned entries that did not match
}

func (e *KeyError) Error() string {
	fp := ssh.FingerprintSHA256(e.Key)
	if len(e.Want) == 0 {
		return fmt.Sprintf("knownhosts: %s: no key pinned (offered %s %s)", e.Name, e.Key.Type(), fp)
	}
	return fmt.Sprintf("knownhosts: %s: %s key %s is not pinned (pinned at line %s)",
		e.Name, e.Key.Type(), fp, lineList(e.Want))
}

// RevokedError is returned for a key, or a certificate's key or CA, that a
// @revoked line names.
type RevokedError struct {
	Key  ssh.PublicKey
	Line *Line
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("knownhosts: %s key %s is revoked (line %d)",
		e.Key.Type(), ssh.FingerprintSHA256(e.Key), e.Line.Num)
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
		parts = append(parts, fmt.Sprintf("%s key at line %d differs from the offered one (%s)",
			r.Old.Key.Type(), r.Old.Num, why))
	}
	return fmt.Sprintf("knownhosts: %s: %s", e.Change.Name, strings.Join(parts, "; "))
}

func lineList(ls []*Line) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = fmt.Sprint(l.Num)
	}
	return strings.Join(s, ", ")
}
