package scan

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock moves only when a scan sleeps on it, and records each sleep.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	cancel bool // Sleep reports an interrupt instead of sleeping
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel {
		return context.Canceled
	}
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// The pace is measured from the start of the previous connection, and the
// time waited for it is added to the target's deadline.
func TestPacerSpacesConnectionsAndExtendsTheDeadline(t *testing.T) {
	t0 := time.Now().Add(time.Hour) // deadlines in the future of the real clock
	c := &fakeClock{now: t0}
	p := newPacer(context.Background(), Options{Timeout: 10 * time.Second, Pace: time.Minute, clock: c})

	ctx, cancel, err := p.next()
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if dl, _ := ctx.Deadline(); !dl.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("first deadline %v, want start + timeout", dl.Sub(t0))
	}
	if len(c.slept) != 0 {
		t.Errorf("the first connection waited %v", c.slept)
	}

	c.advance(2 * time.Second) // the first handshake
	ctx, cancel, err = p.next()
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if !slices.Equal(c.slept, []time.Duration{58 * time.Second}) {
		t.Errorf("waited %v, want 58s (a minute after the first connection started)", c.slept)
	}
	if dl, _ := ctx.Deadline(); !dl.Equal(t0.Add(10*time.Second + 58*time.Second)) {
		t.Errorf("second deadline %v after start, want timeout + the wait", dl.Sub(t0))
	}

	c.advance(2 * time.Minute) // a handshake slower than the pace: no wait
	if _, cancel, err = p.next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if len(c.slept) != 1 {
		t.Errorf("waited again after a handshake longer than the pace: %v", c.slept)
	}
}

// A scan with a pace waits between its handshakes, one wait fewer than it
// has connections, and still collects every key.
func TestScanPace(t *testing.T) {
	ed, ec, rs := signers(t)
	srv := startServer(t, serverConfig(ed, ec, rs), nil)
	c := &fakeClock{now: time.Now()}
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, Pace: time.Hour, clock: c})
	if r.Err != nil || len(r.Keys) != 3 {
		t.Fatalf("err %v, %d keys; want 3 keys", r.Err, len(r.Keys))
	}
	if r.Connections != 3 || srv.connCount() != 3 {
		t.Errorf("%d connections (server saw %d), want 3", r.Connections, srv.connCount())
	}
	if !slices.Equal(c.slept, []time.Duration{time.Hour, time.Hour}) {
		t.Errorf("waited %v, want an hour before each of the two later handshakes", c.slept)
	}

	// Without a pace nothing waits.
	c = &fakeClock{now: time.Now()}
	if r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, clock: c}); r.Err != nil || len(c.slept) != 0 {
		t.Errorf("no pace: err %v, waited %v", r.Err, c.slept)
	}
}

// An interrupt during a wait ends the scan with the keys it had.
func TestScanPaceInterrupted(t *testing.T) {
	ed, ec, _ := signers(t)
	srv := startServer(t, serverConfig(ed, ec), nil)
	c := &fakeClock{now: time.Now(), cancel: true}
	r := Scan(context.Background(), srv.target(t), Options{Timeout: 10 * time.Second, Pace: time.Hour, clock: c})
	if len(r.Keys) != 1 || r.Connections != 1 {
		t.Errorf("%d keys over %d connections, want the first handshake's key only", len(r.Keys), r.Connections)
	}
}
