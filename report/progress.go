package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// ProgressEvery is how often a started Progress redraws its line: often
// enough to look alive, seldom enough that a fast run does not spend
// itself on a terminal.
const ProgressEvery = 250 * time.Millisecond

// clearLine is carriage return and "erase to end of line".
const clearLine = "\r\x1b[K"

// Progress is the line a run over many targets keeps at the bottom of a
// terminal: targets done, rate, failures, time left. It is for terminals
// only (the caller decides: logs, pipes and CI never want it). Messages
// written through it (Write) go above the line, which clears itself
// first and comes back after.
type Progress struct {
	mu     sync.Mutex
	out    io.Writer // the terminal
	prefix string    // before the line: the program's name
	start  time.Time
	total  int // -1: not known
	done   int
	failed int
	shown  bool // the line is on screen

	stop    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

// NewProgress is the line for a run of total targets (-1: not known yet),
// drawn on out after prefix. Nothing is drawn before Start or Draw.
func NewProgress(out io.Writer, prefix string, total int) *Progress {
	return &Progress{out: out, prefix: prefix, start: time.Now(), total: total, stop: make(chan struct{})}
}

// Start redraws the line every ProgressEvery until Close.
func (p *Progress) Start() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.Draw()
			case <-p.stop:
				return
			}
		}
	}()
}

// Add counts one result.
func (p *Progress) Add(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
}

// Draw draws the line now.
func (p *Progress) Draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked()
}

func (p *Progress) drawLocked() {
	line := progressLine(p.done, p.total, p.failed, time.Since(p.start))
	io.WriteString(p.out, clearLine+p.prefix+line)
	p.shown = true
}

// Write prints a message (a warning) above the line: it clears the line,
// writes, and draws the line again.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.out, clearLine)
	}
	n, err := p.out.Write(b)
	if p.shown {
		p.drawLocked()
	}
	return n, err
}

// Close stops the redraws and clears the line, so that what is printed
// next starts on a clean line.
func (p *Progress) Close() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.stop)
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.out, clearLine)
		p.shown = false
	}
}

// progressLine is the one-line state of a run over many targets: targets
// done (of total, when total >= 0: a list streamed from a pipe has none),
// the rate so far, failures so far, and while the total is known the time
// left at that rate.
func progressLine(done, total, failed int, elapsed time.Duration) string {
	var b strings.Builder
	if total >= 0 {
		fmt.Fprintf(&b, "%d/%d targets", done, total)
	} else {
		fmt.Fprintf(&b, "%d targets", done)
	}
	var rate float64
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
		fmt.Fprintf(&b, ", %.1f/s", rate)
	}
	fmt.Fprintf(&b, ", %d failed", failed)
	if total >= 0 && done < total && rate > 0 {
		left := time.Duration(float64(total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", left.Round(time.Second))
	}
	return b.String()
}
