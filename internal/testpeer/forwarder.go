package testpeer

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Forwarder relays TCP connections from 127.0.0.1:Port to a target, so
// that a test can see how much the client sent, hold the traffic (a server
// that stopped answering) or cut the connections (a server that died) at a
// moment of its own choosing, rather than after a sleep.
type Forwarder struct {
	Host string // 127.0.0.1
	Port int
	Addr string // Host:Port

	target    string
	ln        net.Listener
	done      chan struct{}
	wg        sync.WaitGroup
	threshold int64
	up        atomic.Int64 // bytes the clients sent
	reached   chan struct{}
	once      sync.Once

	mu    sync.Mutex
	conns []net.Conn
	held  chan struct{} // nil: traffic flows; else closed by Release
}

// Forward starts a Forwarder to target whose Reached channel closes once
// the clients have sent more than threshold bytes. It stops, and closes
// every connection, when the test ends.
func Forward(t testing.TB, target string, threshold int64) *Forwarder {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr)
	f := &Forwarder{Host: "127.0.0.1", Port: a.Port, Addr: a.String(), target: target, ln: ln,
		done: make(chan struct{}), threshold: threshold, reached: make(chan struct{})}
	f.wg.Go(f.accept)
	t.Cleanup(func() {
		close(f.done)
		ln.Close()
		f.Kill()
		f.wg.Wait()
	})
	return f
}

func (f *Forwarder) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp4", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, s)
		f.mu.Unlock()
		f.wg.Go(func() { f.pipe(s, c, true) })
		f.wg.Go(func() { f.pipe(c, s, false) })
	}
}

func (f *Forwarder) pipe(dst, src net.Conn, up bool) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			held := f.held
			f.mu.Unlock()
			if held != nil {
				select {
				case <-held:
				case <-f.done:
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			if up && f.up.Add(int64(n)) > f.threshold {
				f.once.Do(func() { close(f.reached) })
			}
		}
		if err != nil {
			return
		}
	}
}

// Reached is closed once the clients have sent more than the threshold.
func (f *Forwarder) Reached() <-chan struct{} { return f.reached }

// Hold stops the traffic from now on, both ways, until Release: the
// connections stay open, and nothing more arrives at either end.
func (f *Forwarder) Hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = make(chan struct{})
	}
}

// Release lets held traffic flow again.
func (f *Forwarder) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held != nil {
		close(f.held)
		f.held = nil
	}
}

// Kill closes every connection, both ends: the server is gone.
func (f *Forwarder) Kill() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}
