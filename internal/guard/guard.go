// Package guard is a connection with one deadline that operations arm,
// progress pushes back, prompts suspend and a cancellation trips for
// good: what sshdial's handshakes and sftpx's requests run under.
package guard

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Guard is the connection with one deadline that operations arm, progress
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
type Guard struct {
	conn    net.Conn
	timeout time.Duration
	// deadlines: conn has working deadlines. A channel through a jump
	// host has none; a timer then closes it instead.
	deadlines bool

	mu     sync.Mutex
	reason error // why the connection was killed; nil while it is alive
	timer  *time.Timer
	// active counts the operations under the deadline (Begin, End): the
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
	// CloseGrace is how long Close lets queued bytes (a channel close, a
	// disconnect message) drain to a peer that stopped reading.
	CloseGrace = time.Second
)

// ErrTimeout is wrapped by every error that a deadline caused. Its text
// has no package prefix: it is always the cause inside another error,
// never the whole of one.
var ErrTimeout = errors.New("timed out")

// New returns c under a guard whose deadline is timeout; the writer
// goroutine it starts ends with Close.
func New(c net.Conn, timeout time.Duration) *Guard {
	g := &Guard{conn: c, timeout: timeout, rbuf: make([]byte, readBuffer), done: make(chan struct{})}
	g.deadlines = c.SetDeadline(time.Time{}) == nil
	g.wcond = sync.NewCond(&g.wmu)
	go g.writer()
	return g
}

// Begin starts an operation under the deadline, and pushes the deadline
// back. It refuses, with the reason, once the connection was killed or
// while a cancellation waits for cleanups to finish: nothing new starts
// then.
func (g *Guard) Begin() error {
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

// End ends an operation begun with Begin; the last one disarms the
// deadline. cancelled, when not nil, is the cancellation that cut the
// operation short: the connection is killed for it, at once if no
// operation is still cleaning up, else when the last of them is done or
// the grace is over.
func (g *Guard) End(cancelled error) {
	g.mu.Lock()
	g.active--
	if cancelled != nil && g.cancelled == nil {
		g.cancelled = cancelled
	}
	if r := g.cancelled; r != nil && g.reason == nil {
		if g.stopping == 0 {
			g.mu.Unlock()
			g.Trip(r)
			return
		}
		g.startGraceLocked(r)
	}
	if g.active == 0 {
		g.disarmLocked()
	}
	g.mu.Unlock()
}

// Cancel is an operation's context, cancelled: the connection is killed
// at once, which wakes every request in flight, unless operations are
// cleaning up (StopsOnCancel); then it lives on until they are done (see
// end), for cancelGrace at most.
func (g *Guard) Cancel(reason error) {
	g.mu.Lock()
	if g.stopping == 0 || g.reason != nil {
		g.mu.Unlock()
		g.Trip(reason)
		return
	}
	if g.cancelled == nil {
		g.cancelled = reason
	}
	g.startGraceLocked(g.cancelled)
	g.mu.Unlock()
}

func (g *Guard) startGraceLocked(reason error) {
	if g.grace == nil {
		g.grace = time.AfterFunc(g.cancelGrace(), func() { g.Trip(reason) })
	}
}

// Arm pushes the deadline back, while operations are active: bytes moved.
// With none active it does nothing, so that progress reported late cannot
// leave an idle connection with a deadline.
func (g *Guard) Arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.active > 0 {
		g.armLocked()
	}
}

func (g *Guard) armLocked() {
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

func (g *Guard) disarmLocked() {
	switch {
	case g.reason != nil:
	case g.deadlines:
		g.conn.SetDeadline(time.Time{})
	case g.timer != nil:
		g.timer.Stop()
	}
}

// expire is the timer of a connection without deadlines.
func (g *Guard) expire() {
	g.Trip(fmt.Errorf("%w: the server did not answer within %s", ErrTimeout, g.timeout))
}

// Trip kills the connection for reason: a deadline in the past wakes every
// blocked read and write at once; a connection without deadlines is
// closed.
func (g *Guard) Trip(reason error) {
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

func (g *Guard) Failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// maxCancelGrace bounds how long an operation that cleans up after a
// cancellation (see StopsOnCancel) may keep the connection: a server that
// does not answer cannot hold the process longer than this, or than the
// timeout if that is shorter.
const maxCancelGrace = 5 * time.Second

func (g *Guard) cancelGrace() time.Duration { return min(g.timeout, maxCancelGrace) }

// StopsOnCancel marks the calling operation as one that watches its
// context itself: cancelled, it stops issuing requests, lets those in
// flight finish, removes what it made on the server, and returns. Until
// done is called, a cancellation then gives the operation cancelGrace
// before the connection is killed, instead of killing it at once (which
// would leave an upload's temporary file on the server). Several
// operations may be cleaning up at once: the connection lives until the
// last is done.
func (g *Guard) StopsOnCancel() (done func()) {
	g.mu.Lock()
	g.stopping++
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.stopping--
		g.mu.Unlock()
	}
}

// Pause runs a prompt without the deadline: a user typing a passphrase is
// not a stalled server.
func (g *Guard) Pause(fn func()) {
	back := g.StepOut()
	defer back()
	fn()
}

// StepOut takes the calling operation out of the deadline while it works
// without the connection (a prompt, syncing a download to disk): with no
// other operation active, the deadline is off until back puts the
// operation back and pushes it.
func (g *Guard) StepOut() (back func()) {
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

func (g *Guard) noteTimeout(err error) {
	if IsTimeout(err) {
		g.mu.Lock()
		if g.reason == nil {
			g.reason = fmt.Errorf("%w: the server did not answer within %s", ErrTimeout, g.timeout)
		}
		g.mu.Unlock()
	}
}

func (g *Guard) Read(p []byte) (int, error) {
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

func (g *Guard) Write(p []byte) (int, error) {
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
func (g *Guard) writer() {
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

// Close lets the queued bytes go out, for at most CloseGrace, and closes
// the connection.
func (g *Guard) Close() error {
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
		if g.Failure() == nil {
			if g.deadlines {
				g.conn.SetWriteDeadline(time.Now().Add(CloseGrace))
			} else {
				t := time.AfterFunc(CloseGrace, func() { g.conn.Close() })
				defer t.Stop()
			}
		}
		<-g.done
	}
	return g.conn.Close()
}

func (g *Guard) LocalAddr() net.Addr                { return g.conn.LocalAddr() }
func (g *Guard) RemoteAddr() net.Addr               { return g.conn.RemoteAddr() }
func (g *Guard) SetDeadline(t time.Time) error      { return g.conn.SetDeadline(t) }
func (g *Guard) SetReadDeadline(t time.Time) error  { return g.conn.SetReadDeadline(t) }
func (g *Guard) SetWriteDeadline(t time.Time) error { return g.conn.SetWriteDeadline(t) }

// Timeout is the deadline's length.
func (g *Guard) Timeout() time.Duration { return g.timeout }

// IsTimeout tells whether err is a network deadline that passed.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// SetTimeout changes the deadline's length, from the next time it is
// armed on: a connection dialled under one timeout can run its operations
// under another.
func (g *Guard) SetTimeout(d time.Duration) {
	g.mu.Lock()
	g.timeout = d
	g.mu.Unlock()
}
