package report

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		done, total, failed int
		elapsed             time.Duration
		want                string
	}{
		{50, 200, 3, 10 * time.Second, "50/200 targets, 5.0/s, 3 failed, ETA 30s"},
		{200, 200, 0, 4 * time.Second, "200/200 targets, 50.0/s, 0 failed"},
		{7, -1, 1, 2 * time.Second, "7 targets, 3.5/s, 1 failed"}, // streamed: no total, no ETA
		{0, 10, 0, 0, "0/10 targets, 0 failed"},
	} {
		if got := progressLine(c.done, c.total, c.failed, c.elapsed); got != c.want {
			t.Errorf("progressLine(%d, %d, %d, %v) = %q, want %q", c.done, c.total, c.failed, c.elapsed, got, c.want)
		}
	}
}

// A warning written through the line clears it, prints, and draws it
// again; closing clears it; a line never drawn is never cleared.
func TestProgress(t *testing.T) {
	var term bytes.Buffer
	p := NewProgress(&term, "sshpin: ", 3)
	fmt.Fprintf(p, "sshpin: before\n")
	if s := term.String(); s != "sshpin: before\n" {
		t.Errorf("a warning before the first draw written as %q", s)
	}
	term.Reset()
	p.Add(false)
	p.Add(true)
	p.Draw()
	if s := term.String(); !strings.HasPrefix(s, clearLine+"sshpin: 2/3 targets, ") || !strings.Contains(s, ", 1 failed") {
		t.Errorf("line %q", s)
	}
	term.Reset()
	fmt.Fprintf(p, "sshpin: a warning\n")
	if s := term.String(); !strings.HasPrefix(s, clearLine+"sshpin: a warning\n"+clearLine+"sshpin: 2/3") {
		t.Errorf("warning written as %q", s)
	}
	term.Reset()
	p.Close()
	if term.String() != clearLine {
		t.Errorf("close wrote %q, want the line cleared", term.String())
	}
	term.Reset()
	p.Close()
	if term.Len() != 0 {
		t.Errorf("a second close wrote %q", &term)
	}
}

// A started line is drawn by its ticker and stops at Close.
func TestProgressStart(t *testing.T) {
	pr := &syncBuffer{drawn: make(chan struct{}, 1)}
	p := NewProgress(pr, "x: ", -1)
	p.Start()
	<-pr.drawn
	p.Close()
	if s := pr.String(); !strings.HasPrefix(s, clearLine+"x: 0 targets") || !strings.HasSuffix(s, clearLine) {
		t.Errorf("started line wrote %q", s)
	}
}

// syncBuffer signals its first write. It has no WriteString, which
// io.WriteString would call instead of Write.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	drawn chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.drawn <- struct{}{}:
	default:
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
