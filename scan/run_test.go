package scan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"sshpin/target"
)

// numbered is a source of n targets (n < 0: endless) named by their
// position, counting how many it handed out.
func numbered(n int, handed *atomic.Int64) Source {
	return func(yield func(target.Target) bool) error {
		for i := 0; n < 0 || i < n; i++ {
			handed.Add(1)
			if !yield(target.Target{Host: fmt.Sprint(i), Port: 22}) {
				return nil
			}
		}
		return nil
	}
}

func ok(_ context.Context, t target.Target) *Result { return &Result{Target: t} }

// Every target is done once, emitted once with its position, and no more
// than concurrency run at once; all of them do run at once when they can
// (the barrier would never open otherwise).
func TestStreamEmitsEveryTargetWithinTheLimit(t *testing.T) {
	const n, limit = 50, 5
	var running, peak atomic.Int64
	barrier := make(chan struct{})
	var once sync.Once
	do := func(ctx context.Context, tg target.Target) *Result {
		now := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		if now == limit {
			once.Do(func() { close(barrier) })
		}
		<-barrier
		return ok(ctx, tg)
	}
	seen := map[int]bool{}
	var handed atomic.Int64
	err := Stream(context.Background(), numbered(n, &handed), limit, do, func(i int, r *Result) {
		if seen[i] {
			t.Errorf("target %d emitted twice", i)
		}
		seen[i] = true
		if r.Target.Host != fmt.Sprint(i) {
			t.Errorf("emitted as %d: %s", i, r.Target.Host)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Errorf("%d targets emitted, want %d", len(seen), n)
	}
	if p := peak.Load(); p != limit {
		t.Errorf("peak concurrency %d, want %d", p, limit)
	}
}

// The source is read only as workers free up: with every worker blocked,
// an endless list has handed out at most one target more than the limit
// (the one waiting to be taken). An interrupt then ends the run: Stream
// returns the context's error, and the results that failed because of it
// are not emitted, while one that was done is.
func TestStreamReadsLazilyAndStopsOnCancel(t *testing.T) {
	const limit = 3
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, limit)
	do := func(ctx context.Context, tg target.Target) *Result {
		if tg.Host == "0" {
			return ok(ctx, tg) // done before the interrupt
		}
		started <- struct{}{}
		<-ctx.Done()
		return &Result{Target: tg, Err: ctx.Err()}
	}
	var handed atomic.Int64
	var emitted []string
	done := make(chan error)
	go func() {
		done <- Stream(ctx, numbered(-1, &handed), limit, do, func(i int, r *Result) {
			emitted = append(emitted, r.Target.Host)
		})
	}()
	for range limit {
		<-started
	}
	if h := handed.Load(); h > limit+2 {
		t.Errorf("the source handed out %d targets with %d workers busy", h, limit)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Stream returned %v, want context.Canceled", err)
	}
	if len(emitted) != 1 || emitted[0] != "0" {
		t.Errorf("emitted %q, want only the target done before the interrupt", emitted)
	}
}

// A source blocked in a read (a terminal on stdin) does not hold an
// interrupted run.
func TestStreamCancelWhileSourceBlocks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var emitted []int
	first := make(chan struct{})
	src := func(yield func(target.Target) bool) error {
		if !yield(target.Target{Host: "a", Port: 22}) {
			return nil
		}
		<-release // a read that never returns while the test runs
		return nil
	}
	done := make(chan error)
	go func() {
		done <- Stream(ctx, src, 4, ok, func(i int, r *Result) {
			emitted = append(emitted, i)
			close(first)
		})
	}()
	<-first
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Stream returned %v, want context.Canceled", err)
	}
	if len(emitted) != 1 {
		t.Errorf("emitted %v, want the one target", emitted)
	}
}

// A source that fails midway (a malformed line on stdin) stops the feed;
// what was started is finished and emitted, and the error comes back.
func TestStreamSourceError(t *testing.T) {
	bad := errors.New("stdin:4: bad line")
	src := func(yield func(target.Target) bool) error {
		for i := range 3 {
			if !yield(target.Target{Host: fmt.Sprint(i), Port: 22}) {
				return nil
			}
		}
		return bad
	}
	n := 0
	err := Stream(context.Background(), src, 2, ok, func(int, *Result) { n++ })
	if !errors.Is(err, bad) {
		t.Errorf("Stream returned %v, want the source's error", err)
	}
	if n != 3 {
		t.Errorf("%d results emitted, want 3", n)
	}
}

// An empty source and a concurrency below one are not special cases.
func TestStreamEmptyAndZeroConcurrency(t *testing.T) {
	var handed atomic.Int64
	if err := Stream(context.Background(), numbered(0, &handed), 0, ok, func(int, *Result) { t.Error("emitted from an empty list") }); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := Stream(context.Background(), numbered(3, &handed), 0, ok, func(int, *Result) { n++ }); err != nil || n != 3 {
		t.Errorf("concurrency 0: %d results, err %v; want 3 and nil", n, err)
	}
}
