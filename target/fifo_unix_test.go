//go:build unix

package target

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestListCountDoesNotOpenAFIFO: a -f that names a FIFO is read once, as
// it streams. Count used to open it to ask whether it was a regular file:
// that open waited for the writer, and its close left the writer with a
// broken pipe, so the targets were lost and the real read then waited
// for a writer that was gone.
func TestListCountDoesNotOpenAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "targets")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	l := &List{Files: []string{fifo}}
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			wrote <- err
			return
		}
		_, err = io.WriteString(f, "a.example\nb.example:2222\n")
		f.Close()
		wrote <- err
	}()
	type result struct {
		targets []Target
		known   bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		_, _, known, err := l.Count(Shard{})
		if err != nil || known {
			done <- result{known: known, err: err}
			return
		}
		all, err := l.All()
		done <- result{all, known, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.known || len(r.targets) != 2 {
			t.Errorf("Count then All: %v targets, known %v, %v", r.targets, r.known, r.err)
		}
	case <-time.After(time.Minute): // a watchdog, not a timing assert: the bug hangs
		// Unblock the reader so the test can end.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("Count then All hung on a FIFO")
	}
	if err := <-wrote; err != nil {
		t.Errorf("writer: %v", err)
	}
}
