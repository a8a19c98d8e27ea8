package sftpx

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// guard is the connection with one deadline that operations arm, progress
// pushes back, prompts suspend, and a cancellation trips for good. It is
// the net.Conn x/crypto reads and writes, so that it can tell a deadline
// that fired from any other broken connection.
//
// It also batches the connection's system calls, which is most of what a
// bulk transfer costs on a fast link. x/crypto writes every SSH packet
// (at most 32 KiB for OpenSSH's channels) with two or three write calls
// and reads with a 4 KiB buffer; the guard reads up to readBuffer at once
// and hands x/crypto's writes to a writer goroutine that sends whatever
// has piled up in one call, as OpenSSH's own event loop does. Write
// returns once the bytes are queued; an error of the socket comes back
// from a later Write (and from Read, since the peer then goes away).
type guard struct {
	conn    net.Conn
	timeout time.Duration
	// deadlines: conn has working deadlines. A channel through a jump
	// host has none; a timer then closes it instead.
	deadlines bool

	mu     sync.Mutex
	reason error // why the connection was killed; nil while it is alive
	timer  *time.Timer

	// stopping: the running operation stops by itself when its context
	// is cancelled, and cleans up on the live connection (see
	// stopsOnCancel and Client.do).
	stopping atomic.Bool

	// Read side: x/crypto's one reader goroutine is the only user.
	rbuf       []byte
	rpos, rend int

	// Write side.
	wmu     sync.Mutex
	wcond   *sync.Cond
	pending []byte // queued for the writer goroutine
	spare   []byte
	werr    error
	closing bool
	done    chan struct{} // closed when the writer goroutine ends
}

const (
	readBuffer = 256 << 10
	// writeQueue bounds what Write queues before it waits for the socket;
	// a larger write is queued whole once the queue is empty.
	writeQueue = 512 << 10
	// closeGrace is how long Close lets queued bytes (a channel close, a
	// disconnect message) drain to a peer that stopped reading.
	closeGrace = time.Second
)

func newGuard(c net.Conn, timeout time.Duration) *guard {
	g := &guard{conn: c, timeout: timeout, rbuf: make([]byte, readBuffer), done: make(chan struct{})}
	g.deadlines = c.SetDeadline(time.Time{}) == nil
	g.wcond = sync.NewCond(&g.wmu)
	go g.writer()
	return g
}

func (g *guard) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.reason != nil:
	case g.deadlines:
		g.conn.SetDeadline(time.Now().Add(g.timeout))
	case g.timer == nil:
		g.timer = time.AfterFunc(g.timeout, g.expire)
	default:
		g.timer.Reset(g.timeout)
	}
}

func (g *guard) disarm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.reason != nil:
	case g.deadlines:
		g.conn.SetDeadline(time.Time{})
	case g.timer != nil:
		g.timer.Stop()
	}
}

// expire is the timer of a connection without deadlines.
func (g *guard) expire() {
	g.trip(fmt.Errorf("%w: the server did not answer within %s", ErrTimeout, g.timeout))
}

// trip kills the connection for reason: a deadline in the past wakes every
// blocked read and write at once; a connection without deadlines is
// closed.
func (g *guard) trip(reason error) {
	g.mu.Lock()
	if g.reason == nil {
		g.reason = reason
	}
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	if g.deadlines {
		g.conn.SetDeadline(time.Unix(1, 0))
	} else {
		g.conn.Close()
	}
}

func (g *guard) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// maxCancelGrace bounds how long an operation that cleans up after a
// cancellation (see stopsOnCancel) may keep the connection: a server that
// does not answer cannot hold the process longer than this, or than the
// timeout if that is shorter.
const maxCancelGrace = 5 * time.Second

func (g *guard) cancelGrace() time.Duration { return min(g.timeout, maxCancelGrace) }

// stopsOnCancel marks the running operation as one that watches its
// context itself: cancelled, it stops issuing requests, lets those in
// flight finish, removes what it made on the server, and returns. Until
// done is called, a cancellation then gives the operation cancelGrace
// before the connection is killed, instead of killing it at once (which
// would leave an upload's temporary file on the server).
func (g *guard) stopsOnCancel() (done func()) {
	g.stopping.Store(true)
	return func() { g.stopping.Store(false) }
}

// pause runs a prompt without the deadline: a user typing a passphrase is
// not a stalled server.
func (g *guard) pause(fn func()) {
	g.disarm()
	defer g.arm()
	fn()
}

func (g *guard) noteTimeout(err error) {
	if isTimeout(err) {
		g.mu.Lock()
		if g.reason == nil {
			g.reason = fmt.Errorf("%w: the server did not answer within %s", ErrTimeout, g.timeout)
		}
		g.mu.Unlock()
	}
}

func (g *guard) Read(p []byte) (int, error) {
	if g.rpos == g.rend {
		if len(p) >= len(g.rbuf) {
			n, err := g.conn.Read(p)
			if err != nil {
				g.noteTimeout(err)
			}
			return n, err
		}
		n, err := g.conn.Read(g.rbuf)
		if n <= 0 {
			if err != nil {
				g.noteTimeout(err)
			}
			return 0, err
		}
		g.rpos, g.rend = 0, n
	}
	n := copy(p, g.rbuf[g.rpos:g.rend])
	g.rpos += n
	return n, nil
}

func (g *guard) Write(p []byte) (int, error) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	for g.werr == nil && !g.closing && len(g.pending) > 0 && len(g.pending)+len(p) > writeQueue {
		g.wcond.Wait()
	}
	switch {
	case g.werr != nil:
		return 0, g.werr
	case g.closing:
		return 0, net.ErrClosed
	}
	g.pending = append(g.pending, p...)
	g.wcond.Broadcast()
	return len(p), nil
}

// writer sends what Write queued, all of it in one call, until Close.
func (g *guard) writer() {
	defer close(g.done)
	g.wmu.Lock()
	defer g.wmu.Unlock()
	for {
		for len(g.pending) == 0 && !g.closing && g.werr == nil {
			g.wcond.Wait()
		}
		if g.werr != nil || len(g.pending) == 0 {
			return
		}
		buf := g.pending
		g.pending = g.spare[:0]
		g.wcond.Broadcast()
		g.wmu.Unlock()
		_, err := g.conn.Write(buf)
		if err != nil {
			g.noteTimeout(err)
		}
		g.wmu.Lock()
		if err != nil {
			g.werr = err
			g.wcond.Broadcast()
			return
		}
		g.spare = buf[:0]
	}
}

// Close lets the queued bytes go out, for at most closeGrace, and closes
// the connection.
func (g *guard) Close() error {
	g.wmu.Lock()
	first := !g.closing
	g.closing = true
	g.wcond.Broadcast()
	g.wmu.Unlock()
	if first {
		g.mu.Lock()
		if g.timer != nil {
			g.timer.Stop()
		}
		g.mu.Unlock()
		if g.failure() == nil {
			if g.deadlines {
				g.conn.SetWriteDeadline(time.Now().Add(closeGrace))
			} else {
				t := time.AfterFunc(closeGrace, func() { g.conn.Close() })
				defer t.Stop()
			}
		}
		<-g.done
	}
	return g.conn.Close()
}

func (g *guard) LocalAddr() net.Addr                { return g.conn.LocalAddr() }
func (g *guard) RemoteAddr() net.Addr               { return g.conn.RemoteAddr() }
func (g *guard) SetDeadline(t time.Time) error      { return g.conn.SetDeadline(t) }
func (g *guard) SetReadDeadline(t time.Time) error  { return g.conn.SetReadDeadline(t) }
func (g *guard) SetWriteDeadline(t time.Time) error { return g.conn.SetWriteDeadline(t) }
