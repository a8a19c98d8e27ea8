package report

import (
	"fmt"
	"io"
	"path"
	"time"
)

// FileProgress is the line a transfer keeps on a terminal: the file moving,
// its percentage and bytes, and with a read-back the part verified. When
// several files move at once (a recursive transfer), it shows the one the
// latest report is about, and changes files at most every
// fileProgressSwitch. Its zero value, or one on a nil writer, draws
// nothing: the caller gives it a writer only when that is a terminal.
type FileProgress struct {
	w          io.Writer
	shown      bool
	lastPct    int64
	lastRemote string
	drawn      time.Time
}

// FileMoved is what FileProgress.Show is told of one file.
type FileMoved struct {
	Op       string // get, put, cp
	Remote   string // the file's remote path: its last element shows
	Bytes    int64  // moved so far
	Total    int64  // of
	Verified int64  // read back and verified so far
	Verify   bool   // this report is of the read-back
}

// fileProgressSwitch keeps the line on one file long enough to be read,
// and a terminal from being redrawn for every chunk of every file.
const fileProgressSwitch = 200 * time.Millisecond

// NewFileProgress draws on w, a terminal; nil draws nothing.
func NewFileProgress(w io.Writer) *FileProgress {
	if w == nil {
		return &FileProgress{}
	}
	return &FileProgress{w: w, lastPct: -1}
}

// Show redraws the line for m, unless nothing it shows has moved.
func (p *FileProgress) Show(m FileMoved) {
	if p.w == nil || m.Total <= 0 {
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
	case m.Remote != p.lastRemote && p.shown && time.Since(p.drawn) < fileProgressSwitch:
		return
	}
	p.lastPct, p.lastRemote, p.drawn = key, m.Remote, time.Now()
	what := m.Op
	if m.Verify {
		what = "verify"
	}
	line := fmt.Sprintf("%s %s %3d%% %s", what, Safe(path.Base(m.Remote)), pct, Size(m.Bytes))
	if m.Verified > 0 {
		line += fmt.Sprintf(", %d%% read back and verified", vpct)
	}
	io.WriteString(p.w, clearLine+line)
	p.shown = true
}

// Clear takes the line off the terminal, so that what is written next
// starts on a clean line.
func (p *FileProgress) Clear() {
	if p.w != nil && p.shown {
		io.WriteString(p.w, clearLine)
		p.shown, p.lastPct = false, -1
	}
}
