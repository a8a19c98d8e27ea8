package report

import (
	"fmt"
	"io"
	"path"
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

// Progress is the one line sshpin keeps at the bottom of a terminal:
// for a run over many targets, the targets done, rate, failures and time
// left; for a transfer (Show), the file moving. It is for terminals only
// (the caller decides: logs, pipes and CI never want it); on a nil
// writer it draws nothing. Messages written through it (Write) go above
// the line, which clears itself first and comes back after.
type Progress struct {
	mu     sync.Mutex
	out    io.Writer // the terminal
	prefix string    // before the line: the program's name
	start  time.Time
	total  int // -1: not known
	done   int
	failed int
	shown  bool // the line is on screen

	// A transfer's line (Show): what it shows, and when it was drawn.
	file       string
	lastPct    int64
	lastRemote string
	drawn      time.Time

	stop    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

// NewProgress is the line for a run of total targets (-1: not known yet),
// drawn on out after prefix. Nothing is drawn before Start, Draw or Show.
func NewProgress(out io.Writer, prefix string, total int) *Progress {
	return &Progress{out: out, prefix: prefix, start: time.Now(), total: total, stop: make(chan struct{}), lastPct: -1}
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
	if p.out == nil {
		return
	}
	line := p.file
	if line == "" {
		line = progressLine(p.done, p.total, p.failed, time.Since(p.start))
	}
	io.WriteString(p.out, clearLine+p.prefix+line)
	p.shown = true
}

// FileMoved is what Progress.Show is told of one file.
type FileMoved struct {
	Op       string // get, put, cp
	Remote   string // the file's remote path: its last element shows
	Bytes    int64  // moved so far
	Total    int64  // of
	Verified int64  // read back and verified so far
	Verify   bool   // this report is of the read-back
}

// fileSwitch keeps the line on one file long enough to be read, and a
// terminal from being redrawn for every chunk of every file.
const fileSwitch = 200 * time.Millisecond

// Show makes the line a transfer's: the file m is about, its percentage
// and bytes, and with a read-back the part verified. When several files
// move at once (a recursive transfer), it shows the one the latest report
// is about, and changes files at most every fileSwitch. It redraws only
// when a figure it shows moved.
func (p *Progress) Show(m FileMoved) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil || m.Total <= 0 {
		return
	}
	pct := m.Bytes * 100 / m.Total
	vpct := m.Verified * 100 / m.Total
	// Redraw when either figure moves by a percent, or another file
	// reports and the line has shown this one for a while.
	key := pct*1000 + vpct
	switch {
	case m.Remote == p.lastRemote && key == p.lastPct:
		return
	case m.Remote != p.lastRemote && p.shown && time.Since(p.drawn) < fileSwitch:
		return
	}
	p.lastPct, p.lastRemote, p.drawn = key, m.Remote, time.Now()
	what := m.Op
	if m.Verify {
		what = "verify"
	}
	p.file = fmt.Sprintf("%s %s %3d%% %s", what, Safe(path.Base(m.Remote)), pct, Size(m.Bytes))
	if m.Verified > 0 {
		p.file += fmt.Sprintf(", %d%% read back and verified", vpct)
	}
	p.drawLocked()
}

// Clear takes the line off the terminal until it is drawn again, so that
// what is written next starts on a clean line.
func (p *Progress) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
}

func (p *Progress) clearLocked() {
	if p.out != nil && p.shown {
		io.WriteString(p.out, clearLine)
	}
	p.shown, p.lastPct = false, -1
}

// Write prints a message (a warning) above the line: it clears the line,
// writes, and draws the line again.
func (p *Progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return len(b), nil
	}
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
	p.Clear()
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
