package report

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Safe makes text a server or a file chose fit for a terminal; it is the
// one escaping function for every such byte the CLI prints (tables, plain
// lines, the progress line, errors on stderr). Everything shows as itself
// except what a terminal would act on or what would mislead a reader:
//
//   - C0 controls and DEL (an escape sequence can retitle or clear the
//     screen, a newline forges an output line): \n \r \t \a \b \f \v, else \xNN;
//   - C1 controls U+0080-U+009F (U+009B is CSI for many terminals): \u0080...;
//   - bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
//     U+2066-U+2069: "Trojan Source" reordering) and the line and
//     paragraph separators U+2028, U+2029: \u202e...;
//   - bytes that are not UTF-8 (a raw 0x9B among them): \xNN, one per
//     byte, never U+FFFD, so that the name can be told apart and rebuilt;
//   - the backslash itself: \\, so that the escaping is unambiguous.
//
// The escapes are Go's (and C's) string literal escapes: the output, put
// in double quotes with any '"' escaped, is a Go literal of exactly s.
// Text with nothing to escape is returned as is. JSON needs none of this:
// encoding/json escapes controls itself; for bytes JSON cannot carry see
// NotUTF8.
func Safe(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= ' ' && c < utf8.RuneSelf && c != '\\' && c != 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if c >= utf8.RuneSelf && !(r == utf8.RuneError && n == 1) && !escaped(r) {
			i += n
			continue
		}
		break
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '\\':
				b.WriteString(`\\`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\v':
				b.WriteString(`\v`)
			default:
				if c < ' ' || c == 0x7f {
					hexByte(&b, c)
				} else {
					b.WriteByte(c)
				}
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			hexByte(&b, c)
		case escaped(r):
			b.WriteString(`\u`)
			h := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", 4-len(h)))
			b.WriteString(h)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escaped reports whether the code point r (>= U+0080) is one Safe shows
// as \uNNNN.
func escaped(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE RLE PDF LRO RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI RLI FSI PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

func hexByte(b *strings.Builder, c byte) {
	const digits = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(digits[c>>4])
	b.WriteByte(digits[c&0xf])
}

// NotUTF8 is Safe(s) when s is not valid UTF-8, and "" otherwise. JSON
// strings are Unicode: encoding/json writes each byte that is not UTF-8 as
// U+FFFD, and the name a script reads would not be the file's. A JSON
// record that carries a server-chosen name also carries this, as the
// name's "_escaped" field, whenever the plain field lost bytes: decoded
// as a Go string literal (strconv.Unquote), or by bash's printf '%b', it
// is the name byte for byte.
func NotUTF8(s string) string {
	if utf8.ValidString(s) {
		return ""
	}
	return Safe(s)
}

// RawControl is the index in s of the first thing Safe would not let
// through raw (a control, a bidirectional control, a line separator, a
// byte that is not UTF-8), or -1: the check, from Unicode's own tables
// rather than Safe's, that tests make of what reached a terminal.
func RawControl(s string) int {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return i // a byte that is not UTF-8
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), unicode.In(r, unicode.Zl, unicode.Zp):
			return i
		}
	}
	return -1
}

// safeList is Safe for each name, one per line.
func safeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Safe(n)
	}
	return strings.Join(out, "\n")
}
