package sftpx

import (
	"fmt"
	"net"
	"sync"
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
	// active counts the operations under the deadline (begin, end): the
	// first arms it, progress in any pushes it back, the last disarms it.
	// Requests share the connection, and a server that stalls stalls all
	// of them (sftp-server answers in order), so one deadline serves all.
	active int
	// stopping counts the running operations that stop by themselves when
	// their context is cancelled, and clean up on the live connection
	// (see stopsOnCancel and Client.do).
	stopping int
	// cancelled is a cancellation that waits for the stopping operations
	// to finish before it kills the connection, for cancelGrace at most
	// (grace).
	cancelled error
	grace     *time.Timer

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

// begin starts an operation under the deadline, and pushes the deadline
// back. It refuses, with the reason, once the connection was killed or
// while a cancellation waits for cleanups to finish: nothing new starts
// then.
func (g *guard) begin() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.reason != nil:
		return g.reason
	case g.cancelled != nil:
		return g.cancelled
	}
	g.active++
	g.armLocked()
	return nil
}

// end ends an operation begun with begin; the last one disarms the
// deadline. cancelled, when not nil, is the cancellation that cut the
// operation short: the connection is killed for it, at once if no
// operation is still cleaning up, else when the last of them is done or
// the grace is over.
func (g *guard) end(cancelled error) {
	g.mu.Lock()
	g.active--
	if cancelled != nil && g.cancelled == nil {
		g.cancelled = cancelled
	}
	if r := g.cancelled; r != nil && g.reason == nil {
		if g.stopping == 0 {
			g.mu.Unlock()
			g.trip(r)
			return
		}
		g.startGraceLocked(r)
	}
	if g.active == 0 {
		g.disarmLocked()
	}
	g.mu.Unlock()
}

// cancel is an operation's context, cancelled: the connection is killed
// at once, which wakes every request in flight, unless operations are
// cleaning up (stopsOnCancel); then it lives on until they are done (see
// end), for cancelGrace at most.
func (g *guard) cancel(reason error) {
	g.mu.Lock()
	if g.stopping == 0 || g.reason != nil {
		g.mu.Unlock()
		g.trip(reason)
		return
	}
	if g.cancelled == nil {
		g.cancelled = reason
	}
	g.startGraceLocked(g.cancelled)
	g.mu.Unlock()
}

func (g *guard) startGraceLocked(reason error) {
	if g.grace == nil {
		g.grace = time.AfterFunc(g.cancelGrace(), func() { g.trip(reason) })
	}
}

// arm pushes the deadline back, while operations are active: bytes moved.
// With none active it does nothing, so that progress reported late cannot
// leave an idle connection with a deadline.
func (g *guard) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active > 0 {
		g.armLocked()
	}
}

func (g *guard) armLocked() {
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

func (g *guard) disarmLocked() {
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
	if g.grace != nil {
		g.grace.Stop()
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

// stopsOnCancel marks the calling operation as one that watches its
// context itself: cancelled, it stops issuing requests, lets those in
// flight finish, removes what it made on the server, and returns. Until
// done is called, a cancellation then gives the operation cancelGrace
// before the connection is killed, instead of killing it at once (which
// would leave an upload's temporary file on the server). Several
// operations may be cleaning up at once: the connection lives until the
// last is done.
func (g *guard) stopsOnCancel() (done func()) {
	g.mu.Lock()
	g.stopping++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.stopping--
		g.mu.Unlock()
	}
}

// pause runs a prompt without the deadline: a user typing a passphrase is
// not a stalled server.
func (g *guard) pause(fn func()) {
	back := g.stepOut()
	defer back()
	fn()
}

// stepOut takes the calling operation out of the deadline while it works
// without the connection (a prompt, syncing a download to disk): with no
// other operation active, the deadline is off until back puts the
// operation back and pushes it.
func (g *guard) stepOut() (back func()) {
	g.mu.Lock()
	g.active--
	if g.active == 0 {
		g.disarmLocked()
	}
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.active++
		g.armLocked()
		g.mu.Unlock()
	}
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
		if g.grace != nil {
			g.grace.Stop()
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
