package main

import (
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/sshpin/sshpin/report"
)

// progressEvery is how often the line is redrawn: often enough to look
// alive, seldom enough that a fast run does not spend itself on a terminal.
const progressEvery = 250 * time.Millisecond

// progress is the line a run over many targets keeps on stderr while
// stderr is a terminal. Logs, pipes and CI never see it.
type progress struct {
	mu     sync.Mutex
	out    io.Writer // the terminal
	start  time.Time
	total  int // -1: not known
	done   int
	failed int
	shown  bool // the line is on screen

	stop chan struct{}
	wg   sync.WaitGroup
}

// startProgress draws progress for a run of total targets (-1: not known)
// when stderr is a terminal, and returns nil otherwise.
func (e *env) startProgress(total int) *progress {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := newProgress(f, total)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func newProgress(out io.Writer, total int) *progress {
	return &progress{out: out, start: time.Now(), total: total, stop: make(chan struct{})}
}

// add counts one result.
func (p *progress) add(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
}

// clearLine is carriage return and "erase to end of line".
const clearLine = "\r\x1b[K"

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawLocked()
}

func (p *progress) drawLocked() {
	line := report.Progress(p.done, p.total, p.failed, time.Since(p.start))
	io.WriteString(p.out, clearLine+"sshpin: "+line)
	p.shown = true
}

// Write prints a message (a warning) above the line: it clears the line,
// writes, and draws the line again.
func (p *progress) Write(b []byte) (int, error) {
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

// close stops the redraws and clears the line, so that what the command
// prints next starts on a clean line.
func (p *progress) close() {
	close(p.stop)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		io.WriteString(p.out, clearLine)
		p.shown = false
	}
}
