package scan

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshpin/sshpin/target"
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
// than Max run at once; all of them do run at once when they can (the
// barrier would never open otherwise). Start = Max: no ramp.
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
	err := Stream(context.Background(), numbered(n, &handed), Flow{Max: limit, Start: limit}, do, func(i int, r *Result) {
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
		done <- Stream(ctx, numbered(-1, &handed), Flow{Max: limit, Start: limit}, do, func(i int, r *Result) {
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
		done <- Stream(ctx, src, Flow{Max: 4}, ok, func(i int, r *Result) {
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
	err := Stream(context.Background(), src, Flow{Max: 2}, ok, func(int, *Result) { n++ })
	if !errors.Is(err, bad) {
		t.Errorf("Stream returned %v, want the source's error", err)
	}
	if n != 3 {
		t.Errorf("%d results emitted, want 3", n)
	}
}

// An empty source and a limit below one are not special cases.
func TestStreamEmptyAndZeroConcurrency(t *testing.T) {
	var handed atomic.Int64
	if err := Stream(context.Background(), numbered(0, &handed), Flow{}, ok, func(int, *Result) { t.Error("emitted from an empty list") }); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := Stream(context.Background(), numbered(3, &handed), Flow{}, ok, func(int, *Result) { n++ }); err != nil || n != 3 {
		t.Errorf("Max 0: %d results, err %v; want 3 and nil", n, err)
	}
}

// fakeTicks is the ramp's ticker, driven by the test: a send on c is one
// tick, received by Stream's loop before the send returns.
type fakeTicks struct {
	c       chan time.Time
	every   time.Duration // what Stream asked for
	made    int
	stopped chan struct{}
}

func newFakeTicks() *fakeTicks {
	return &fakeTicks{c: make(chan time.Time), stopped: make(chan struct{})}
}

func (f *fakeTicks) ticks(d time.Duration) (<-chan time.Time, func()) {
	f.every = d
	f.made++
	return f.c, func() { close(f.stopped) }
}

func (f *fakeTicks) tick() { f.c <- time.Time{} }

// start is one target started by Stream's loop, and the limit it was
// started under.
type start struct{ i, limit int }

// rampRun streams n targets under flow; target i runs until release[i] is
// closed. Stream's starts come on the returned channel, in the loop's
// order, so a start the limit did not allow shows up as an event before
// the one the test expects next.
func rampRun(t *testing.T, n int, flow Flow) (starts chan start, release []chan struct{}, done chan int) {
	t.Helper()
	starts = make(chan start, n)
	release = make([]chan struct{}, n)
	for i := range release {
		release[i] = make(chan struct{})
	}
	flow.started = func(i, limit int) { starts <- start{i, limit} }
	do := func(_ context.Context, tg target.Target) *Result {
		i, _ := strconv.Atoi(tg.Host)
		<-release[i]
		return &Result{Target: tg}
	}
	done = make(chan int, 1)
	go func() {
		var handed atomic.Int64
		emitted := 0
		if err := Stream(context.Background(), numbered(n, &handed), flow, do, func(int, *Result) { emitted++ }); err != nil {
			t.Error(err)
		}
		done <- emitted
	}()
	return starts, release, done
}

func expectStarts(t *testing.T, starts chan start, want ...start) {
	t.Helper()
	for _, w := range want {
		if got := <-starts; got != w {
			t.Fatalf("started target %d under limit %d, want target %d under %d", got.i, got.limit, w.i, w.limit)
		}
	}
}

// The slow start: Start targets at first; each one done raises the limit
// by one, each tick doubles it, up to Max, where the ticker stops. This is
// what brings the first results out early: the first targets do not share
// the servers with Max others.
func TestStreamRampsUpOnResultsAndTicks(t *testing.T) {
	const n = 10
	ft := newFakeTicks()
	starts, release, done := rampRun(t, n, Flow{Max: 8, Start: 2, Every: time.Second, ticks: ft.ticks})
	expectStarts(t, starts, start{0, 2}, start{1, 2})
	if ft.made != 1 || ft.every != time.Second {
		t.Errorf("ticker made %d times, every %v; want once, every second", ft.made, ft.every)
	}
	close(release[0]) // one done: limit 3, two free slots
	expectStarts(t, starts, start{2, 3}, start{3, 3})
	ft.tick() // 6
	expectStarts(t, starts, start{4, 6}, start{5, 6}, start{6, 6})
	ft.tick() // 12, capped to 8: the ticker is stopped before the starts
	expectStarts(t, starts, start{7, 8})
	select {
	case <-ft.stopped:
	default:
		t.Error("the ticker runs on at the limit")
	}
	expectStarts(t, starts, start{8, 8})
	close(release[1]) // at Max, a result frees one slot and no more
	expectStarts(t, starts, start{9, 8})
	for i := 2; i < n; i++ {
		close(release[i])
	}
	if got := <-done; got != n {
		t.Errorf("%d results emitted, want %d", got, n)
	}
}

// A list led by tarpits (nothing finishes before the timeout) does not
// hold the run at its start: ticks alone take the limit to Max.
func TestStreamRampsUpWithNothingDone(t *testing.T) {
	const n = 8
	ft := newFakeTicks()
	starts, release, done := rampRun(t, n, Flow{Max: n, Start: 1, ticks: ft.ticks})
	expectStarts(t, starts, start{0, 1})
	ft.tick()
	expectStarts(t, starts, start{1, 2})
	ft.tick()
	expectStarts(t, starts, start{2, 4}, start{3, 4})
	ft.tick()
	expectStarts(t, starts, start{4, 8}, start{5, 8}, start{6, 8}, start{7, 8})
	<-ft.stopped
	if ft.every != DefaultEvery {
		t.Errorf("ticks every %v, want the default %v", ft.every, DefaultEvery)
	}
	for _, r := range release {
		close(r)
	}
	if got := <-done; got != n {
		t.Errorf("%d results emitted, want %d", got, n)
	}
}

// The defaults: DefaultStart at first under a large Max; no ramp, and no
// ticker, when Start is Max or more.
func TestStreamRampDefaults(t *testing.T) {
	ft := newFakeTicks()
	starts, release, done := rampRun(t, DefaultStart, Flow{Max: 64, ticks: ft.ticks})
	for i := range DefaultStart {
		expectStarts(t, starts, start{i, DefaultStart})
	}
	for _, r := range release {
		close(r)
	}
	<-done
	if ft.made != 1 {
		t.Errorf("ticker made %d times, want once", ft.made)
	}

	ft = newFakeTicks()
	starts, release, done = rampRun(t, 3, Flow{Max: 3, Start: 5, ticks: ft.ticks})
	expectStarts(t, starts, start{0, 3}, start{1, 3}, start{2, 3})
	for _, r := range release {
		close(r)
	}
	<-done
	if ft.made != 0 {
		t.Errorf("a ticker was made for a run that starts at its limit")
	}
}
