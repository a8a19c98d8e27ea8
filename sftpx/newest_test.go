package sftpx

import (
	"io/fs"
	"os"
	"testing"
	"time"
)

func TestChooseNewest(t *testing.T) {
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	file := func(name string, h int) Entry { return Entry{Name: name, Mode: 0o644, ModTime: at(h)} }
	link := func(name string, target fs.FileMode, h int) Entry {
		return Entry{Name: name, Mode: os.ModeSymlink | 0o777, Target: target, ModTime: at(h)}
	}
	dir := func(name string, h int) Entry { return Entry{Name: name, Mode: fs.ModeDir | 0o755, ModTime: at(h)} }
	tests := []struct {
		name    string
		entries []Entry
		dirs    bool
		want    string // "" for none
		cands   int
		tied    int
	}{
		{"newest file", []Entry{file("a", 1), file("b", 3), file("c", 2)}, false, "b", 3, 1},
		{"a tie goes to the greatest name", []Entry{file("a", 3), file("c", 3), file("b", 3)}, false, "c", 3, 3},
		{"a link to a directory is not chosen over a file", []Entry{file("a", 1), link("l", fs.ModeDir|0o755, 5)}, true, "a", 1, 1},
		{"a link to a directory, alone, with -r", []Entry{link("l", fs.ModeDir|0o755, 5)}, true, "l", 1, 1},
		{"a link to a directory, alone, without -r", []Entry{link("l", fs.ModeDir|0o755, 5)}, false, "", 0, 0},
		{"a link to a file is its file", []Entry{file("a", 1), link("l", 0o644, 2)}, false, "l", 2, 1},
		{"a dangling link is never chosen", []Entry{file("a", 1), link("l", fs.ModeSymlink, 9)}, false, "a", 1, 1},
		{"a directory with -r", []Entry{file("a", 1), dir("d", 2)}, true, "d", 2, 1},
		{"no directory without -r", []Entry{file("a", 1), dir("d", 2)}, false, "a", 1, 1},
		{"a FIFO is never chosen", []Entry{{Name: "p", Mode: fs.ModeNamedPipe, ModTime: at(9)}}, true, "", 0, 0},
		{"nothing", nil, true, "", 0, 0},
	}
	for _, tc := range tests {
		n, ok := ChooseNewest(tc.entries, tc.dirs)
		if ok != (tc.want != "") || n.Name != tc.want || n.Candidates != tc.cands || n.Tied != tc.tied || n.Matched != len(tc.entries) {
			t.Errorf("%s: ChooseNewest = %q (%d candidates, %d tied, %d matched), %v; want %q (%d, %d, %d)",
				tc.name, n.Name, n.Candidates, n.Tied, n.Matched, ok, tc.want, tc.cands, tc.tied, len(tc.entries))
		}
	}
}
