package scan

import (
	"context"
	"time"
)

// clock is the time a scan's pacing reads and waits on; tests replace it
// through Options.clock so that pacing is checked without waiting.
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and says which.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer spaces the connections of one target by at least Options.Pace, so
// that a scan stays under a server's per-source thresholds (OpenSSH >= 9.8
// PerSourcePenalties counts connections that close without logging in).
// Time spent waiting for the pace is added to the target's deadline: the
// timeout bounds what the server may cost, the pace is the caller's choice,
// and a pace longer than the timeout must not fail every handshake after
// the first.
type pacer struct {
	parent   context.Context
	clock    clock
	pace     time.Duration
	deadline time.Time // zero: no timeout
	last     time.Time // when the previous connection was started
}

func newPacer(ctx context.Context, opts Options) *pacer {
	p := &pacer{parent: ctx, clock: opts.clock, pace: opts.Pace}
	if p.clock == nil {
		p.clock = realClock{}
	}
	if opts.Timeout > 0 {
		p.deadline = p.clock.Now().Add(opts.Timeout)
	}
	return p
}

// next waits until the next connection may start, and returns the context
// that bounds it. An error means the parent was cancelled while waiting.
func (p *pacer) next() (context.Context, context.CancelFunc, error) {
	if p.pace > 0 && !p.last.IsZero() {
		if d := p.last.Add(p.pace).Sub(p.clock.Now()); d > 0 {
			if err := p.clock.Sleep(p.parent, d); err != nil {
				return nil, nil, err
			}
			if !p.deadline.IsZero() {
				p.deadline = p.deadline.Add(d)
			}
		}
	}
	p.last = p.clock.Now()
	if p.deadline.IsZero() {
		ctx, cancel := context.WithCancel(p.parent)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithDeadline(p.parent, p.deadline)
	return ctx, cancel, nil
}

// spent says the target's time is up, or the run was interrupted: no
// further connection is worth starting.
func (p *pacer) spent() bool {
	return p.parent.Err() != nil || (!p.deadline.IsZero() && !p.clock.Now().Before(p.deadline))
}
