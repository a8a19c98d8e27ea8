package report

import (
	"strings"
	"testing"
)

func TestWrapLineKeepsEveryByte(t *testing.T) {
	tests := []struct {
		in    string
		width int
	}{
		{"short", 80},
		{"the server proved a different ssh-ed25519 key than the one pinned at line 2", 20},
		{strings.Repeat("x", 50) + " built for it", 16},
		{"a,b,c,d,e,f,g,h,i,j,k", 5},
		{"日本語のバナーはとても長いです", 7},
		{"two  spaces  kept  inside", 9},
	}
	for _, tt := range tests {
		lines := wrapLine(tt.in, tt.width, true)
		for _, l := range lines {
			if textWidth(l) > tt.width {
				t.Errorf("%q at %d: line %q is %d wide", tt.in, tt.width, l, textWidth(l))
			}
		}
		// Nothing is cut: the words come back in order, whole.
		joined := strings.Join(lines, "")
		if strip(joined) != strip(tt.in) {
			t.Errorf("%q at %d: lost text: %q", tt.in, tt.width, lines)
		}
		if got := strings.Fields(strings.Join(lines, " ")); len(tt.in) > 0 && strings.Contains(tt.in, " ") && !strings.Contains(tt.in, "x") &&
			strings.Join(got, " ") != strings.Join(strings.Fields(tt.in), " ") {
			t.Errorf("%q at %d: words changed: %q", tt.in, tt.width, lines)
		}
	}
}

func strip(s string) string { return strings.ReplaceAll(s, " ", "") }

func TestTableLayouts(t *testing.T) {
	render := func(width int) string {
		var b strings.Builder
		tb := newTable(&Sized{Writer: &b, Width: width}, "STATUS", "TYPE", "PRESENTED", "DETAIL").under(3, "", true).under(2, "presented", false)
		tb.Group("web-1.example")
		tb.Append([]string{"changed", "ssh-ed25519", "SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0", "the server proved a different key than the one pinned"})
		tb.Render()
		return b.String()
	}
	tests := []struct {
		width int
		want  string
	}{
		// Everything on one row.
		{200, "web-1.example\n  STATUS   TYPE         PRESENTED                                           DETAIL\n" +
			"  changed  ssh-ed25519  SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0  the server proved a different key than the one pinned\n"},
		// The detail wraps in its column.
		{104, "web-1.example\n  STATUS   TYPE         PRESENTED                                           DETAIL\n" +
			"  changed  ssh-ed25519  SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0  the server proved a\n" +
			"                                                                            different key than the one\n" +
			"                                                                            pinned\n"},
		// The detail moves under the row.
		{80, "web-1.example\n  STATUS   TYPE         PRESENTED\n  changed  ssh-ed25519  SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0\n" +
			"      the server proved a different key than the one pinned\n"},
		// The detail, then the fingerprint, move under the row.
		{72, "web-1.example\n  STATUS   TYPE\n  changed  ssh-ed25519\n" +
			"      presented: SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0\n" +
			"      the server proved a different key than the one pinned\n"},
		// Too narrow for the two short columns: every cell but the first
		// goes under, labelled, broken where it must be.
		{20, "web-1.example\n  STATUS\n  changed\n      type:\n      ssh-ed25519\n      presented:\n      SHA256:eQguyb0\n      kmxR0CYWbAj6eP\n      KOYia4XjsZXOlg\n      CT7hmkB0\n      the server\n      proved a\n      different key\n      than the one\n      pinned\n"},
	}
	for _, tt := range tests {
		got := render(tt.width)
		for _, l := range strings.Split(got, "\n") {
			if textWidth(l) > tt.width {
				t.Errorf("width %d: line %q is wider", tt.width, l)
			}
		}
		if got != tt.want {
			t.Errorf("width %d:\n%s\nwant:\n%s", tt.width, got, tt.want)
		}
	}
}
