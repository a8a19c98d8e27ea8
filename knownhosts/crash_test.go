package knownhosts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCrashSafety kills a process that keeps pinning new hosts with
// SIGKILL at every step of WriteFile, and at free-running points, and
// checks that the file always parses and holds the entries of a completed
// Update (old or new, never half), and that the next Update removes the
// temporary files the killed one left. The kill points come from the
// child's own reports over a pipe, never from timing.
func TestCrashSafety(t *testing.T) {
	path := filepath.Join(t.TempDir(), "known_hosts")
	for _, stage := range []string{"created", "written", "synced", "renamed"} {
		for _, at := range []int{0, 3} {
			t.Run(fmt.Sprintf("%s@%d", stage, at), func(t *testing.T) {
				base := entries(t, path)
				lines := runAndKill(t, path, stage, at, -1)
				if lines[len(lines)-1] != "stopped" {
					t.Fatalf("child did not stop: %q", lines)
				}
				want := base + at // the Updates that completed
				if stage == "renamed" {
					want++ // the rename happened: the new content is in place
				}
				checkEntries(t, path, want, want)
				if left := temps(t, path); (len(left) == 1) != (stage != "renamed") {
					t.Errorf("after a kill at %q: temporary files %v", stage, left)
				}
				cleanup(t, path)
			})
		}
	}
	// Free-running: kill after the n-th completed Update, wherever the next
	// one happens to be.
	for n := range 6 {
		t.Run(fmt.Sprintf("free@%d", n), func(t *testing.T) {
			base := entries(t, path)
			runAndKill(t, path, "", n, n)
			checkEntries(t, path, base+n+1, -1)
			cleanup(t, path)
		})
	}
}

// runAndKill runs the "loop" helper until it reports it stopped (stage,
// at) or completed Update number done, then kills it with SIGKILL.
func runAndKill(t *testing.T, path, stage string, at, done int) []string {
	t.Helper()
	cmd := child(t, "loop", path, stage, fmt.Sprint(at))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "kh: ")
		if !ok {
			continue
		}
		got = append(got, line)
		if line == "stopped" || line == fmt.Sprintf("%d done", done) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, stdout) // let the child's last writes drain
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v; output %q", err, got)
	}
	return got
}

// entries counts the host entries in path (0 for no file).
func entries(t *testing.T, path string) int {
	return len(readLines(t, path))
}

func readLines(t *testing.T, path string) []*Line {
	t.Helper()
	f, err := ReadFile(path)
	if err != nil {
		return nil
	}
	return f.Lines
}

// checkEntries asserts the file parses cleanly and holds h0000.. in order,
// exactly want of them, or at least min when want is -1.
func checkEntries(t *testing.T, path string, min, want int) {
	t.Helper()
	f, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = &File{}, nil // killed before the first rename: still no file
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range f.Lines {
		if l.Kind != Entry || l.Key == nil || len(l.Hosts) != 1 || l.Hosts[0] != crashHost(i) || l.EOL != "\n" {
			t.Fatalf("line %d: %q (%v %v)", l.Num, l.Raw, l.Kind, l.Err)
		}
	}
	n := len(f.Lines)
	if n < min || want >= 0 && n != want {
		t.Fatalf("%d entries, want %d (at least %d)", n, want, min)
	}
}

// cleanup runs a no-op Update, which must remove every temporary file
// and leave the content alone.
func cleanup(t *testing.T, path string) {
	t.Helper()
	before := entries(t, path)
	if err := Update(path, func(*File) error { return nil }); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, path)
	if entries(t, path) != before {
		t.Fatal("the cleanup changed the file")
	}
}
