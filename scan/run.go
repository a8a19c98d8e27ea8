package scan

import (
	"context"
	"time"

	"github.com/sshpin/sshpin/target"
)

// Source hands targets to Stream as it reads them: it calls yield for each
// until yield returns false, and returns why it stopped before its end (a
// malformed line, a read error), or nil.
type Source func(yield func(target.Target) bool) error

// Flow is how many targets Stream works on at once. It starts low and
// rises to Max: a run that started Max targets together against one busy
// server, each needing several handshakes, would have them all finish
// together, late, where a few started first finish early and show the
// first results within a fraction of a second. The limit rises by one for
// every target done (so it doubles each time a window's worth finish, as
// TCP's slow start does) and doubles every Every whatever finishes, so
// that a list led by tarpits, which finish only at their timeout, does not
// hold the run at its start. Steady state is Max in flight, as without a
// ramp: the ramp costs at most log2(Max/Start) x Every of partial
// concurrency at the start of a run.
type Flow struct {
	Max   int           // targets in flight at most; < 1 means 1
	Start int           // targets in flight at first; < 1: DefaultStart; >= Max: no ramp
	Every time.Duration // the limit doubles this often; 0: DefaultEvery

	// ticks makes the ticker that paces the doubling, and its stop; nil:
	// a time.Ticker. Tests drive their own.
	ticks func(time.Duration) (<-chan time.Time, func())
	// started, when set, is called from Stream's loop as target i is
	// started, with the limit it was started under.
	started func(i, limit int)
}

const (
	// DefaultStart is a handful: against one server that completes ~60
	// handshakes a second, 4 targets of 3 handshakes each are done in
	// about 0.2 s.
	DefaultStart = 4
	// DefaultEvery takes the default limit from 4 to 64 in one second
	// when nothing finishes at all.
	DefaultEvery = 250 * time.Millisecond
)

func realTicks(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Slice is a Source over a list held in memory.
func Slice(targets []target.Target) Source {
	return func(yield func(target.Target) bool) error {
		for _, t := range targets {
			if !yield(t) {
				break
			}
		}
		return nil
	}
}

// Run is Stream over a list held in memory, at most concurrency at once
// (capped to the open-file limit: see FitConcurrency).
func Run(ctx context.Context, targets []target.Target, concurrency int,
	do func(context.Context, target.Target) *Result, emit func(i int, r *Result)) {
	n, _ := FitConcurrency(concurrency)
	Stream(ctx, Slice(targets), Flow{Max: n}, do, emit)
}

// Stream calls do for every target src yields, with at most flow.Max at
// once (fewer at first: see Flow), and emit with each result as it is
// ready, from the caller's goroutine, one at a time; i is the target's
// position in src. A failed target is a result, not an error: it never
// cancels the others.
//
// src is read only as a worker frees up, so a list of any length costs the
// memory of flow.Max targets, not of the list, and the first results come
// out while the list is still being read (from a pipe, say).
//
// When ctx is cancelled Stream stops taking targets, waits for those in
// flight (do must return promptly on cancellation) and returns ctx.Err().
// A result that failed after the cancellation is not emitted: the failure
// is the interrupt's, not the target's, and a report that showed it would
// blame the server. Stream does not wait for src to notice: a source
// blocked in a read (a terminal on stdin) must not hold an interrupted run.
//
// When src fails, Stream finishes the targets it had started, emits them,
// and returns src's error.
func Stream(ctx context.Context, src Source, flow Flow,
	do func(context.Context, target.Target) *Result, emit func(i int, r *Result)) error {
	most := max(flow.Max, 1)
	limit := flow.Start
	if limit < 1 {
		limit = DefaultStart
	}
	limit = min(limit, most)
	every := flow.Every
	if every <= 0 {
		every = DefaultEvery
	}
	var ticks <-chan time.Time
	stopTicks := func() {}
	if limit < most {
		newTicks := flow.ticks
		if newTicks == nil {
			newTicks = realTicks
		}
		ticks, stopTicks = newTicks(every)
	}
	defer func() { stopTicks() }()
	raise := func(n int) {
		limit = min(n, most)
		if limit == most && ticks != nil {
			stopTicks()
			ticks, stopTicks = nil, func() {}
		}
	}

	in := make(chan target.Target)
	srcErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		err := src(func(t target.Target) bool {
			select {
			case in <- t:
				return true
			case <-stop:
				return false
			}
		})
		// Buffered, and sent before the close: whoever sees in closed can
		// read it without blocking.
		srcErr <- err
		close(in)
	}()

	results := make(chan indexed)
	feed := in // nil once src is exhausted
	running, next := 0, 0
	var err error
	for {
		var take <-chan target.Target
		var done <-chan struct{}
		if feed != nil && running < limit && ctx.Err() == nil {
			take, done = feed, ctx.Done()
		}
		if take == nil && running == 0 {
			break
		}
		select {
		case t, ok := <-take:
			if !ok {
				feed, err = nil, <-srcErr
				continue
			}
			if ctx.Err() != nil {
				// select picks at random among ready cases: a target
				// taken as the interrupt came is dropped, not started.
				continue
			}
			if flow.started != nil {
				flow.started(next, limit)
			}
			running++
			go func(i int) { results <- indexed{i, do(ctx, t)} }(next)
			next++
		case r := <-results:
			running--
			if limit < most {
				raise(limit + 1)
			}
			if r.r.Err != nil && ctx.Err() != nil {
				continue
			}
			emit(r.i, r.r)
		case <-ticks:
			if limit > most/2 {
				raise(most)
			} else {
				raise(limit * 2)
			}
		case <-done:
			// Wake up to stop taking targets; the loop waits for the rest.
		}
	}
	if feed != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

type indexed struct {
	i int
	r *Result
}
