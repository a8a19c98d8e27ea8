package report

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// What a server chose reaches the terminal only through Safe: every byte
// a terminal would act on, every bidirectional control, every byte that
// is not UTF-8 and the backslash are escaped; the rest shows as is.
func TestSafe(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "SSH-2.0-OpenSSH_9.6", "SSH-2.0-OpenSSH_9.6"},
		{"empty", "", ""},
		{"unicode letters", "café ok 日本", "café ok 日本"},
		{"no-break space stays", "a\u00a0b", "a\u00a0b"},
		{"ESC sequences", "evil\x1b[2J\x1b]0;title\x07clear", `evil\x1b[2J\x1b]0;title\aclear`},
		{"newline forges a line", "a\nsha256:x", `a\nsha256:x`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"NUL and other C0", "\x00\x01\x1f", `\x00\x01\x1f`},
		{"DEL", "a\x7f", `a\x7f`},
		{"C1 as UTF-8", "c1 \u009b31m \u0085 \u0080", `c1 \u009b31m \u0085 \u0080`},
		{"raw 0x9B (8-bit CSI)", "a\x9b31mb", `a\x9b31mb`},
		{"invalid UTF-8", "bad \xff\xfe", `bad \xff\xfe`},
		{"cut-short sequence", "ho\xc3st", `ho\xc3st`},
		{"surrogate encoded", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"U+FFFD itself stays", "a\uFFFDb", "a\uFFFDb"},
		{"bidi overrides", "a\u202eb\u202ac\u202bd\u202ce\u202d", `a\u202eb\u202ac\u202bd\u202ce\u202d`},
		{"bidi isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"line separators", "a\u2028b\u2029", `a\u2028b\u2029`},
		{"backslash", `a\b`, `a\\b`},
		{"backslash then x", `\x1b`, `\\x1b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Safe(tc.in)
			if got != tc.want {
				t.Fatalf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
			}
			checkSafe(t, tc.in, got)
		})
	}
}

// checkSafe: no byte of out is one a terminal acts on, and out is a Go
// string literal of in (the escaping loses nothing and is unambiguous).
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	if i := RawControl(out); i >= 0 {
		t.Fatalf("Safe(%q) = %q holds a raw control at %d", in, out, i)
	}
	back, err := strconv.Unquote(`"` + strings.ReplaceAll(out, `"`, `\"`) + `"`)
	if err != nil || back != in {
		t.Fatalf("Safe(%q) = %q reads back as %q, %v", in, out, back, err)
	}
}

func TestNotUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "",
		"ctl\x1b\n":      "", // JSON escapes these itself
		"caf\xe9":        `caf\xe9`,
		"caf\xe9\x1b\\x": `caf\xe9\x1b\\x`,
	} {
		if got := NotUTF8(in); got != want {
			t.Errorf("NotUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafe: whatever the input, the output holds nothing a terminal acts
// on and reads back as the input.
func FuzzSafe(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b[2J", "\xff", "\u202e", `\`, "\u009b", "a\x9bb", "日本\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Safe(s)
		checkSafe(t, s, out)
		if !utf8.ValidString(out) {
			t.Fatalf("Safe(%q) = %q is not UTF-8", s, out)
		}
	})
}

// JSON lines hold no C1 or bidirectional control raw either, and read
// back as the same strings.
func TestWriteJSONEscapesControls(t *testing.T) {
	in := "a\u009bb\u202ec\u2066d\x1be\xffé"
	var b strings.Builder
	if err := WriteJSON(&b, map[string]string{"name": in}); err != nil {
		t.Fatal(err)
	}
	if i := RawControl(b.String()[:b.Len()-1]); i >= 0 {
		t.Fatalf("WriteJSON wrote %q, raw control at %d", b.String(), i)
	}
	var back map[string]string
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
		t.Fatal(err)
	}
	// Only the byte that is not UTF-8 is lost (U+FFFD): NotUTF8 keeps it.
	if want := strings.ToValidUTF8(in, "\uFFFD"); back["name"] != want {
		t.Errorf("read back %q, want %q", back["name"], want)
	}
}
