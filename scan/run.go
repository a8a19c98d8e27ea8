package scan

import (
	"context"

	"sshpin/target"
)

// Source hands targets to Stream as it reads them: it calls yield for each
// until yield returns false, and returns why it stopped before its end (a
// malformed line, a read error), or nil.
type Source func(yield func(target.Target) bool) error

// Run is Stream over a list held in memory.
func Run(ctx context.Context, targets []target.Target, concurrency int,
	do func(context.Context, target.Target) *Result, emit func(i int, r *Result)) {
	Stream(ctx, func(yield func(target.Target) bool) error {
		for _, t := range targets {
			if !yield(t) {
				break
			}
		}
		return nil
	}, concurrency, do, emit)
}

// Stream calls do for every target src yields, with at most concurrency at
// once, and emit with each result as it is ready, from the caller's
// goroutine, one at a time; i is the target's position in src. A failed
// target is a result, not an error: it never cancels the others.
//
// src is read only as a worker frees up, so a list of any length costs the
// memory of concurrency targets, not of the list, and the first results
// come out while the list is still being read (from a pipe, say).
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
func Stream(ctx context.Context, src Source, concurrency int,
	do func(context.Context, target.Target) *Result, emit func(i int, r *Result)) error {
	if concurrency < 1 {
		concurrency = 1
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
		if feed != nil && running < concurrency && ctx.Err() == nil {
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
			running++
			go func(i int) { results <- indexed{i, do(ctx, t)} }(next)
			next++
		case r := <-results:
			running--
			if r.r.Err != nil && ctx.Err() != nil {
				continue
			}
			emit(r.i, r.r)
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
