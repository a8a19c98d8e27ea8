// Package target parses what users name as SSH servers: host, host:port,
// [v6addr]:port, [host]:port, and lists of them in files.
package target

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultPort is SSH's port.
const DefaultPort = 22

// Target is one server to reach.
type Target struct {
	Raw  string // as the user wrote it
	Host string // a name or an IP literal, without brackets
	Port int
}

// Error says why a target could not be parsed, and where it came from.
type Error struct {
	Source string // "file:line", or "" for the command line
	Input  string
	Reason string
}

func (e *Error) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("target: %s: %q: %s", e.Source, e.Input, e.Reason)
	}
	return fmt.Sprintf("target: %q: %s", e.Input, e.Reason)
}

// Parse parses one target. An IPv6 address with a port goes in brackets; a
// bare IPv6 address means port 22.
func Parse(s string) (Target, error) {
	fail := func(reason string) (Target, error) { return Target{}, &Error{Input: s, Reason: reason} }
	in := strings.TrimSpace(s)
	if in == "" {
		return fail("empty target")
	}
	if strings.Contains(in, "@") {
		return fail("a user name has no place here: name the host only")
	}
	if strings.Contains(in, "://") {
		return fail("write host or host:port, not a URL")
	}
	t := Target{Raw: s, Port: DefaultPort}
	switch {
	case strings.HasPrefix(in, "["):
		end := strings.IndexByte(in, ']')
		if end < 0 {
			return fail("missing ']'")
		}
		t.Host = in[1:end]
		// Brackets hold an IPv6 address's colons; a colon in anything else
		// would print back as a different target.
		if strings.Contains(t.Host, ":") {
			if a, err := netip.ParseAddr(t.Host); err != nil || !a.Is6() {
				return fail("not an IPv6 address inside '[]'")
			}
		}
		rest := in[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return fail("unexpected text after ']'")
			}
			port, err := parsePort(p)
			if err != nil {
				return fail(err.Error())
			}
			t.Port = port
		}
	case strings.Count(in, ":") > 1:
		// Several colons and no brackets: an IPv6 address, port 22.
		// netip, unlike net.ParseIP, knows zones (fe80::1%eth0), so a '%'
		// needs no exception that would let any string through.
		if _, err := netip.ParseAddr(in); err != nil {
			return fail("not an IPv6 address; write [addr]:port to give a port")
		}
		t.Host = in
	default:
		host, p, hasPort := strings.Cut(in, ":")
		t.Host = host
		if hasPort {
			port, err := parsePort(p)
			if err != nil {
				return fail(err.Error())
			}
			t.Port = port
		}
	}
	if err := checkHost(t.Host); err != nil {
		return fail(err.Error())
	}
	t.Host = canonicalHost(t.Host)
	return t, nil
}

// canonicalHost is the host as OpenSSH writes it in known_hosts and as
// ssh-keyscan prints it: names lowercased (DNS is case-insensitive, and a
// hashed "LOCALHOST" would never match "localhost"), IP addresses in their
// shortest form ("0:0:0:0:0:0:0:1" is "::1").
func canonicalHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	return strings.ToLower(h)
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strings.HasPrefix(p, "+") {
		return 0, fmt.Errorf("invalid port %q (want 1-65535)", p)
	}
	return n, nil
}

func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty host")
	}
	if len(h) > 253 && net.ParseIP(h) == nil {
		return fmt.Errorf("host name longer than 253 characters")
	}
	if !utf8.ValidString(h) {
		return fmt.Errorf("host is not valid UTF-8")
	}
	// Reject whatever a terminal would act on or a reader could not see:
	// C0 and C1 controls, DEL, format characters such as a BOM, and every
	// space. '#' starts a comment in a target file.
	for _, r := range h {
		if r <= ' ' || !unicode.IsPrint(r) || strings.ContainsRune("/\\,[]()<>\"'`;|&$#", r) {
			return fmt.Errorf("host contains %q", r)
		}
	}
	return nil
}

// String is the canonical host:port form, with brackets around IPv6.
func (t Target) String() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// KnownHostsName is how OpenSSH names the host in known_hosts:
// host for port 22, [host]:port otherwise.
func (t Target) KnownHostsName() string {
	if t.Port == DefaultPort {
		return t.Host
	}
	return "[" + t.Host + "]:" + strconv.Itoa(t.Port)
}
