package target

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // String() of each target
	}{
		{"empty file", "", nil},
		{"only comments and blanks", "# hosts\n\n   \n\t\n  # indented comment\n", nil},
		{"one per line", "a.example\nb.example:2222\n[::1]:23\n", []string{"a.example:22", "b.example:2222", "[::1]:23"}},
		{"no final newline", "a.example\nb.example", []string{"a.example:22", "b.example:22"}},
		{"CRLF", "a.example\r\n# c\r\n\r\nb.example:2\r\n", []string{"a.example:22", "b.example:2"}},
		{"indented", "   a.example:2200   \n", []string{"a.example:2200"}},
		{"trailing comment", "a.example # web\n[::1]:2222 # loopback\n", []string{"a.example:22", "[::1]:2222"}},
		{"trailing comment after tab", "a.example\t# web\nb.example:2\t\t# db\n", []string{"a.example:22", "b.example:2"}},
		{"trailing comment without space", "a.example# web\n", []string{"a.example:22"}},
		{"bare v6", "2001:db8::1\n", []string{"[2001:db8::1]:22"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadList(strings.NewReader(tt.in), "hosts.txt")
			if err != nil {
				t.Fatalf("ReadList: %v", err)
			}
			var strs []string
			for _, tg := range got {
				strs = append(strs, tg.String())
			}
			if !equalStrings(strs, tt.want) {
				t.Errorf("ReadList = %q, want %q", strs, tt.want)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadListBadLineNamesFileAndLine(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		source string
		input  string
	}{
		{"bad port", "a.example\n# c\nb.example:0\nc.example\n", "hosts.txt:3", "b.example:0"},
		{"user at host", "\n\nroot@a.example\n", "hosts.txt:3", "root@a.example"},
		{"url after comment", "# c\nssh://a.example\n", "hosts.txt:2", "ssh://a.example"},
		{"first line", "a:b:c\n", "hosts.txt:1", "a:b:c"},
		{"CRLF counts lines too", "a\r\nb\r\nc:x\r\n", "hosts.txt:3", "c:x"},
		{"trailing comment stripped from Input", "a.example:99999 # web\n", "hosts.txt:1", "a.example:99999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadList(strings.NewReader(tt.in), "hosts.txt")
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("ReadList = %v, %v; want a *target.Error", got, err)
			}
			if te.Source != tt.source || te.Input != tt.input || te.Reason == "" {
				t.Errorf("error = %+v, want Source %q Input %q and a Reason", te, tt.source, tt.input)
			}
		})
	}
}

// A line longer than the bound is an error that names its line, not a
// silent stop and not an unbounded buffer.
func TestReadListLineOverBound(t *testing.T) {
	in := "a.example\n# c\n" + strings.Repeat("x", 2*maxLine) + "\nb.example\n"
	got, err := ReadList(strings.NewReader(in), "hosts.txt")
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("ReadList = %v, %v; want a *target.Error", got, err)
	}
	if te.Source != "hosts.txt:3" || te.Reason == "" {
		t.Errorf("error = %+v, want Source hosts.txt:3 and a Reason", te)
	}
	// A line at the bound's edge, newline included, still reads.
	ok := strings.Repeat("#", maxLine-1) + "\nb.example\n"
	if got, err := ReadList(strings.NewReader(ok), "hosts.txt"); err != nil || len(got) != 1 {
		t.Errorf("ReadList with a %d-byte comment = %v, %v; want one target", maxLine-1, got, err)
	}
}

func TestEachStopsAtCallbackError(t *testing.T) {
	stop := errors.New("stop")
	var seen []string
	err := Each(strings.NewReader("a\nb\nc\n"), "hosts.txt", func(tg Target) error {
		seen = append(seen, tg.Host)
		if tg.Host == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Each = %v, want the callback's error", err)
	}
	if !equalStrings(seen, []string{"a", "b"}) {
		t.Errorf("Each called back for %q, want a then b", seen)
	}
}

func TestEachReadErrorSurfaces(t *testing.T) {
	broken := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(broken))
	got, err := ReadList(r, "hosts.txt")
	if !errors.Is(err, broken) {
		t.Errorf("ReadList = %v, %v; want the reader's error", got, err)
	}
	var te *Error
	if errors.As(err, &te) {
		t.Errorf("a read error came back as a parse error: %+v", te)
	}
}

// Each hands targets over as it reads, so a reader that never ends still
// delivers the lines before it blocks.
func TestEachStreams(t *testing.T) {
	pr, pw := io.Pipe()
	first := make(chan Target, 1)
	done := make(chan error, 1)
	go func() {
		done <- Each(pr, "-", func(tg Target) error {
			select {
			case first <- tg:
			default:
			}
			return nil
		})
	}()
	if _, err := pw.Write([]byte("a.example\n")); err != nil {
		t.Fatal(err)
	}
	tg := <-first
	if tg.Host != "a.example" {
		t.Errorf("first target %+v, want a.example", tg)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Errorf("Each: %v", err)
	}
}
