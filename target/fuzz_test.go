package target

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzTarget: Parse never panics, every failure is a *Error, and a parsed
// target prints (String) as something that parses back to the same host and
// port, with nothing in the host a terminal would act on.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{
		"example.com", "example.com:2222", "[2001:db8::1]:2222", "2001:db8::1", "::1",
		"[::1]", "[example.com]:22", "fe80::1%eth0", "[fe80::1%eth0]:22", "192.0.2.1:22",
		"host:0", "host:65536", "host:+22", "user@host", "ssh://host", "[::1", "[::1]x",
		"a:b:c", "a:b:c%x", "[a:b]:22", "host\x00", "\ufeffhost", "host\u0085", "\xff",
		"host:22 # c", "", "[]", "[", ":", "%", "[%]:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := Parse(s)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse(%q) error %T, want *target.Error", s, err)
			}
			return
		}
		if tg.Port < 1 || tg.Port > 65535 {
			t.Fatalf("Parse(%q) port %d out of range", s, tg.Port)
		}
		if !utf8.ValidString(tg.Host) || strings.IndexFunc(tg.Host, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0 {
			t.Fatalf("Parse(%q) host %q holds a non-printing rune", s, tg.Host)
		}
		back, err := Parse(tg.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %+v; its String %q does not parse: %v", s, tg, tg.String(), err)
		}
		if back.Host != tg.Host || back.Port != tg.Port {
			t.Fatalf("Parse(%q) = %q:%d; String %q parses to %q:%d", s, tg.Host, tg.Port, tg.String(), back.Host, back.Port)
		}
		// The line reader must agree with Parse on a line holding the target.
		list, err := ReadList(strings.NewReader(tg.String()+"\n"), "f")
		if err != nil || len(list) != 1 || list[0].Host != tg.Host || list[0].Port != tg.Port {
			t.Fatalf("ReadList(%q) = %+v, %v; want %q:%d", tg.String(), list, err, tg.Host, tg.Port)
		}
	})
}
