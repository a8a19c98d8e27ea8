package sftpx

import (
	"sync"

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

// serialized makes the calls of events one at a time, whatever goroutine
// makes them: the files of a recursive transfer report from their own.
func serialized(events func(Event)) func(Event) {
	if events == nil {
		return nil
	}
	var mu sync.Mutex
	return func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		events(e)
	}
}

func emit(events func(Event), e Event) {
	if events != nil {
		events(e)
	}
}
