package report

import (
	"bytes"
	"strings"
	"testing"
)

// The progress line names the file the server listed: escaped, so that
// the only control sequences on it are the line's own "\r\033[K".
func TestProgressShowEscapesNames(t *testing.T) {
	for _, name := range []string{"esc\x1b]0;pwned\x07", "nl\nforged", "c1\u009b2J", "raw\x9b2J", "bidi\u202etxt", "bad\xff"} {
		var b bytes.Buffer
		p := NewProgress(&b, "", -1)
		p.Show(FileMoved{Op: "get", Remote: "/d/" + name, Bytes: 1, Total: 2})
		out, ok := strings.CutPrefix(b.String(), "\r\033[K")
		if !ok || !strings.Contains(out, Safe(name)) {
			t.Errorf("%q: progress line %q", name, b.String())
		}
		if i := RawControl(out); i >= 0 {
			t.Errorf("%q: progress line %q has a raw control at %d", name, out, i)
		}
	}
}

// TestProgressShow: what the line shows, that it is not redrawn when
// nothing moved, and that nil draws nothing.
func TestProgressShow(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, "", -1)
	p.Show(FileMoved{Op: "put", Remote: "/in/a.tar", Bytes: 512, Total: 2048})
	p.Show(FileMoved{Op: "put", Remote: "/in/a.tar", Bytes: 513, Total: 2048}) // still 25%
	p.Show(FileMoved{Op: "put", Remote: "/in/a.tar", Bytes: 2048, Total: 2048, Verified: 1024, Verify: true})
	p.Clear()
	p.Clear()
	want := "\r\033[Kput a.tar  25% 512 B" + "\r\033[Kverify a.tar 100% 2.0 KiB, 50% read back and verified" + "\r\033[K"
	if b.String() != want {
		t.Errorf("line = %q\nwant  %q", b.String(), want)
	}
	n := NewProgress(nil, "", -1)
	n.Show(FileMoved{Op: "get", Remote: "x", Bytes: 1, Total: 2})
	n.Clear()
}
