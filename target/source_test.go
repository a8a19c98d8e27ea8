package target

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func strs(ts []Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}

func TestListEach(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hosts")
	os.WriteFile(file, []byte("b.example\n# c\nA.example:22\nc.example:2\n"), 0o644)
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("ok.example\nuser@host\n"), 0o644)
	for _, c := range []struct {
		name   string
		args   []string
		files  []string
		stdin  string
		want   []string
		merged int
		err    func(error) bool
	}{
		{name: "arguments then files", args: []string{"a.example"}, files: []string{file},
			want: []string{"a.example:22", "b.example:22", "c.example:2"}, merged: 1},
		{name: "stdin", files: []string{"-"}, stdin: "x.example\nx.example:22\n",
			want: []string{"x.example:22"}, merged: 1},
		{name: "nothing", want: nil},
		{name: "missing file", files: []string{filepath.Join(dir, "missing")},
			err: func(err error) bool {
				var fe *FileError
				return errors.As(err, &fe) && errors.Is(err, os.ErrNotExist) && strings.HasPrefix(err.Error(), "cannot read targets: ")
			}},
		{name: "bad line", files: []string{bad},
			err: func(err error) bool {
				var te *Error
				return errors.As(err, &te) && te.Source == bad+":2"
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &List{Files: c.files, Stdin: strings.NewReader(c.stdin)}
			for _, a := range c.args {
				tg, err := Parse(a)
				if err != nil {
					t.Fatal(err)
				}
				l.Targets = append(l.Targets, tg)
			}
			got, err := l.All()
			if c.err != nil {
				if !c.err(err) {
					t.Fatalf("All: %v, not the error wanted", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalStrings(strs(got), c.want) || l.Merged() != c.merged {
				t.Errorf("All = %q, %d merged; want %q, %d", strs(got), l.Merged(), c.want, c.merged)
			}
		})
	}
}

// Count knows the total of regular files only: stdin and pipes cannot be
// read twice.
func TestListCount(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hosts")
	os.WriteFile(file, []byte("a.example\nb.example\nc.example\nd.example\n"), 0o644)
	l := &List{Files: []string{file}}
	all, mine, known, err := l.Count(Shard{})
	if err != nil || !known || all != 4 || mine != 4 {
		t.Errorf("Count = %d, %d, %v, %v; want 4, 4, true", all, mine, known, err)
	}
	sum := 0
	for i := uint32(1); i <= 3; i++ {
		_, mine, _, _ := l.Count(Shard{i, 3})
		sum += mine
	}
	if sum != 4 {
		t.Errorf("the shards of 3 count %d targets, want 4", sum)
	}
	l = &List{Files: []string{file, "-"}, Stdin: strings.NewReader("e.example\n")}
	if _, _, known, err := l.Count(Shard{}); known || err != nil {
		t.Errorf("Count with stdin: known %v, %v", known, err)
	}
	l = &List{Files: []string{file + ".missing"}}
	var fe *FileError
	if _, _, _, err := l.Count(Shard{}); !errors.As(err, &fe) {
		t.Errorf("Count of a missing file: %v, want a *FileError", err)
	}
}

// Stream yields the shard's targets, counts every target read, and stops
// when its consumer does, without an error.
func TestListStream(t *testing.T) {
	l := &List{Files: []string{"-"}, Stdin: strings.NewReader("a.example\nb.example\nc.example\nd.example\ne.example\n")}
	var read atomic.Int64
	var got []Target
	if err := l.Stream(Shard{}, &read)(func(t Target) bool { got = append(got, t); return len(got) < 2 }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || read.Load() != 2 {
		t.Errorf("stopped after %d targets, %d read; want 2, 2", len(got), read.Load())
	}
	l = &List{Files: []string{"-"}, Stdin: strings.NewReader("a.example\nb.example\nc.example\nd.example\ne.example\n")}
	read.Store(0)
	got = nil
	s := Shard{1, 2}
	if err := l.Stream(s, &read)(func(t Target) bool { got = append(got, t); return true }); err != nil {
		t.Fatal(err)
	}
	for _, tg := range got {
		if !s.Has(tg) {
			t.Errorf("%s yielded, not in %v", tg, s)
		}
	}
	if read.Load() != 5 {
		t.Errorf("%d read, want 5", read.Load())
	}
	l = &List{Files: []string{"-"}, Stdin: strings.NewReader("a.example\n[::1\n")}
	var te *Error
	if err := l.Stream(Shard{}, nil)(func(Target) bool { return true }); !errors.As(err, &te) {
		t.Errorf("Stream of a bad line: %v, want a *Error", err)
	}
}
