package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/sftpx"
)

// The progress line names the file the server listed: escaped, so that
// the only control sequences on it are the line's own "\r\033[K".
func TestProgressLineEscapesNames(t *testing.T) {
	for _, name := range []string{"esc\x1b]0;pwned\x07", "nl\nforged", "c1\u009b2J", "raw\x9b2J", "bidi\u202etxt", "bad\xff"} {
		var b bytes.Buffer
		p := &progressLine{w: &b, lastPct: -1}
		p.show(sftpx.Event{Kind: sftpx.EventProgress, Op: "get", Remote: "/d/" + name, Bytes: 1, Total: 2})
		out, ok := strings.CutPrefix(b.String(), "\r\033[K")
		if !ok || !strings.Contains(out, report.Safe(name)) {
			t.Errorf("%q: progress line %q", name, b.String())
		}
		if i := report.RawControl(out); i >= 0 {
			t.Errorf("%q: progress line %q has a raw control at %d", name, out, i)
		}
	}
}
