package guard

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// The guard queues writes and sends them in order; Close sends what is
// queued; a failed socket write comes back from a later Write.
func TestGuardWrites(t *testing.T) {
	a, b := net.Pipe()
	g := New(a, time.Minute)
	var got bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&got, b)
	}()
	var want bytes.Buffer
	for i := range 1000 {
		p := bytes.Repeat([]byte{byte(i)}, i*37%5000+1)
		want.Write(p)
		if _, err := g.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	wg.Wait()
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("the peer read %d bytes, want %d in order", got.Len(), want.Len())
	}
	if _, err := g.Write([]byte("late")); err == nil {
		t.Errorf("Write after Close succeeded")
	}

	a, b = net.Pipe()
	g = New(a, time.Minute)
	b.Close()
	var err error
	for range 100 {
		if _, err = g.Write(make([]byte, 1000)); err != nil {
			break
		}
		// The writer goroutine fails on the closed pipe; Write sees it
		// once it did. Each Write waits for the queue when it is full, so
		// a bounded number of them reaches the failure.
		g.wmu.Lock()
		for g.werr == nil && len(g.pending) > 0 {
			g.wcond.Wait()
		}
		g.wmu.Unlock()
	}
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after the peer went away: %v", err)
	}
	g.Close()
}

// The guard's reads hand out what one large read of the socket got.
func TestGuardReads(t *testing.T) {
	a, b := net.Pipe()
	g := New(a, time.Minute)
	defer g.Close()
	data := make([]byte, 3*readBuffer+17)
	rand.Read(data)
	go func() {
		b.Write(data)
		b.Close()
	}()
	got, err := io.ReadAll(struct{ io.Reader }{g})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(data))
	}
}
