package sftpx

import (
	"github.com/sshpin/sshpin/internal/eventfunc"
	"github.com/sshpin/sshpin/sshdial"
)

// A Client reports through the sshdial.Options.Events it was dialled with, in
// sshdial's Event: the connection's events (a key verified, trusted on
// first use) and the transfers' (progress, a replace that was not atomic,
// a leftover removed) come as one stream. These names are sshdial's, for
// the transfer code that reports them.
type (
	Event     = sshdial.Event
	EventKind = sshdial.EventKind
)

const (
	EventWarning   = sshdial.EventWarning
	EventProgress  = sshdial.EventProgress
	EventNotAtomic = sshdial.EventNotAtomic
	EventLeftover  = sshdial.EventLeftover
)

var (
	serialized = eventfunc.Serialized[Event]
	emit       = eventfunc.Emit[Event]
)
