package sshdial

import (
	"github.com/sshpin/sshpin/internal/eventfunc"

	"golang.org/x/crypto/ssh"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventVerified: the server proved a pinned key (Key, Addr).
	EventVerified EventKind = iota + 1
	// EventTrusted: trust on first use pinned Key into Path.
	EventTrusted
	// EventUnverified: InsecureAcceptAny accepted Key without any check.
	EventUnverified
	// EventWarning: something went wrong that did not stop the operation
	// (an unreachable agent, a key that could not be decrypted).
	EventWarning

	// The kinds below are never reported by Dial: they are package
	// sftpx's, whose transfers report through the same Options.Events, so
	// that a caller handles one stream of events for a connection.
	// EventProgress: Bytes of Total moved for Remote/Local, and for a put
	// the Verified bytes read back so far; Verify is set while an upload
	// is read back after the fact (on servers that serve no reads on a
	// file open for writing).
	EventProgress
	// EventNotAtomic: the server lacks posix-rename@openssh.com, so an
	// upload replaced Remote by moving it aside first: for a moment Remote
	// did not exist.
	EventNotAtomic
	// EventLeftover: an upload removed Remote, the temporary file an
	// earlier, interrupted upload to the same name left behind.
	EventLeftover
)

// Event is one thing a user may want to know. Which fields are set depends
// on Kind. Message may hold names the user or a server chose (paths, key
// comments): escape it before it reaches a terminal.
type Event struct {
	Kind    EventKind
	Addr    string        // the address that answered
	Key     ssh.PublicKey // the host key
	Path    string        // the pinned file written, for EventTrusted
	Message string        // for EventWarning, and some of sftpx's kinds

	// A transfer's (package sftpx).
	Op     string // "get" or "put"
	Remote string
	Local  string
	Bytes  int64
	Total  int64
	Verify bool
	// Verified is, for a put that reads every chunk back while it
	// uploads, how many of the Bytes were read back and found equal.
	Verified int64
}

var (
	serialized = eventfunc.Serialized[Event]
	emit       = eventfunc.Emit[Event]
)
