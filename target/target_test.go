package target

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	tests := []struct {
		in   string
		host string
		port int
	}{
		{"example.com", "example.com", 22},
		{"example.com:2222", "example.com", 2222},
		// Canonical, as ssh-keyscan prints and known_hosts stores it.
		{"EXAMPLE.com:22", "example.com", 22},
		{"[0:0:0:0:0:0:0:1]:2201", "::1", 2201},
		{"2001:DB8::1", "2001:db8::1", 22},
		{"192.0.2.1", "192.0.2.1", 22},
		{"192.0.2.1:65535", "192.0.2.1", 65535},
		{"localhost:1", "localhost", 1},
		{"  example.com:22  ", "example.com", 22},
		{"[2001:db8::1]:2222", "2001:db8::1", 2222},
		{"[2001:db8::1]", "2001:db8::1", 22},
		{"[::1]:22", "::1", 22},
		{"2001:db8::1", "2001:db8::1", 22},
		{"::1", "::1", 22},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1", 22},
		{"fe80::1%eth0", "fe80::1%eth0", 22},
		{"[fe80::1%eth0]:2200", "fe80::1%eth0", 2200},
		{"[example.com]:2200", "example.com", 2200},
		{"[192.0.2.1]:2200", "192.0.2.1", 2200},
		{"[example.com]", "example.com", 22},
		// Bare IPv6 is an address, never address:port: the last group is
		// part of the address, which is why a port needs brackets.
		{"2001:db8::1:22", "2001:db8::1:22", 22},
		{"host:022", "host", 22},
		{"bücher.example", "bücher.example", 22},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", 22},
		{"under_score.example", "under_score.example", 22},
		{long, long, 22},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got.Host != tt.host || got.Port != tt.port || got.Raw != tt.in {
			t.Errorf("Parse(%q) = %+v, want Host %q Port %d Raw %q", tt.in, got, tt.host, tt.port, tt.in)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"only spaces", "   "},
		{"port zero", "host:0"},
		{"port over 65535", "host:65536"},
		{"port far over", "host:99999999999999999999"},
		{"port not a number", "host:abc"},
		{"port with plus sign", "host:+22"},
		{"port negative", "host:-1"},
		{"port hex", "host:0x16"},
		{"port empty", "host:"},
		{"port with inner space", "host: 22"},
		{"port on bracketed v6 zero", "[::1]:0"},
		{"port on bracketed v6 empty", "[::1]:"},
		{"port on bracketed v6 plus", "[::1]:+22"},
		{"empty host with port", ":22"},
		{"empty brackets", "[]:22"},
		{"missing close bracket", "[::1:22"},
		{"text after bracket", "[::1]x"},
		{"port without colon after bracket", "[::1]22"},
		{"nested brackets", "[[::1]]:22"},
		{"user at host", "user@host"},
		{"user at host with port", "user@host:22"},
		{"user at bracketed v6", "root@[::1]:22"},
		{"ssh url", "ssh://host"},
		{"sftp url", "sftp://user@host:22/path"},
		{"http url", "http://host/"},
		{"three colons, not v6", "a:b:c"},
		{"host:port:port", "host:22:23"},
		{"path", "host/path"},
		{"comma list", "a,b"},
		{"shell metacharacters", "host;reboot"},
		{"dollar", "$HOST"},
		{"backquote", "`id`"},
		{"inner space", "ho st"},
		{"host name over 253", strings.Repeat("a", 254)},
		{"NUL", "host\x00"},
		{"tab inside", "ho\tst"},
		{"newline inside", "ho\nst"},
		{"carriage return inside", "ho\rst"},
		{"DEL", "host\x7f"},
		{"ANSI escape", "ho\x1b[31mst"},
		{"bell", "\x07host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Parse(%q) error %T %v, want *target.Error", tt.in, err, err)
			}
			if te.Input != tt.in || te.Source != "" || te.Reason == "" {
				t.Errorf("Parse(%q) error = %+v, want Input %q, no Source, a Reason", tt.in, te, tt.in)
			}
			if got != (Target{}) {
				t.Errorf("Parse(%q) returned %+v with its error, want the zero Target", tt.in, got)
			}
		})
	}
}

// A host a terminal would act on must never reach a report: C1 controls
// (which some terminals take as CSI), invisible format characters such as a
// BOM from a file saved on Windows, and bytes that are not UTF-8 at all.
func TestParseRejectsInvisibleAndControlRunes(t *testing.T) {
	for _, in := range []string{
		"ho\u0085st",       // NEL, a C1 control
		"ho\u009b31mst",    // CSI, a C1 control
		"\ufeffhost",       // BOM
		"ho\u200bst",       // zero-width space
		"ho\u2028st",       // line separator
		"ho\u00a0st",       // no-break space
		"\xffhost",         // not UTF-8
		"ho\xc3st",         // a UTF-8 sequence cut short
		"[ho\u0085st]:22",  // the same inside brackets
		"host\u0085:22",    // and before a port
		"fe80::1%eth0\x1b", // and in a zone
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
		}
	}
}

// A zone (the %eth0 of fe80::1%eth0) belongs to an IPv6 address only; it
// must not let any string with several colons pass as one.
func TestParseZoneDoesNotExcuseNonAddress(t *testing.T) {
	for _, in := range []string{"a:b:c%x", "host:22:23%eth0", "::g%eth0", "%:%"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
		}
	}
}

// Brackets exist to hold an IPv6 address's colons. A bracketed host with a
// colon that is not an IPv6 address would print back as something else.
func TestParseBracketedColonMustBeIPv6(t *testing.T) {
	for _, in := range []string{"[a:b]:22", "[host:22]", "[host:22]:23", "[:]:22"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in, str, known string
	}{
		{"example.com", "example.com:22", "example.com"},
		{"example.com:2222", "example.com:2222", "[example.com]:2222"},
		{"[example.com]:22", "example.com:22", "example.com"},
		{"::1", "[::1]:22", "::1"},
		{"[2001:db8::1]:2222", "[2001:db8::1]:2222", "[2001:db8::1]:2222"},
		{"192.0.2.1:2200", "192.0.2.1:2200", "[192.0.2.1]:2200"},
		{"fe80::1%eth0", "[fe80::1%eth0]:22", "fe80::1%eth0"},
	}
	for _, tt := range tests {
		tg, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if s := tg.String(); s != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, tt.str)
		}
		if s := tg.KnownHostsName(); s != tt.known {
			t.Errorf("Parse(%q).KnownHostsName() = %q, want %q", tt.in, s, tt.known)
		}
		back, err := Parse(tg.String())
		if err != nil || back.Host != tg.Host || back.Port != tg.Port {
			t.Errorf("Parse(%q) = %+v, %v; want Host %q Port %d back", tg.String(), back, err, tg.Host, tg.Port)
		}
	}
}

func TestErrorNamesSource(t *testing.T) {
	e := &Error{Source: "hosts.txt:3", Input: "a:b:c", Reason: "bad"}
	cmd := &Error{Input: "a:b:c", Reason: "bad"}
	if e.Error() == cmd.Error() {
		t.Errorf("an error with a Source reads the same as one without: %q", e.Error())
	}
	if !strings.Contains(e.Error(), "hosts.txt:3") {
		t.Errorf("Error() = %q, does not name its source", e.Error())
	}
}
