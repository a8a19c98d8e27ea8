package sshconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sshpin/sshpin/target"
)

// Target is a host to resolve as a command line or a ProxyJump list
// names it, before the configuration has a say.
type Target struct {
	User string // "" when not given
	Host string // a name (maybe a Host alias) or an IP literal, without brackets
	Port int    // 22 unless given
	// PortGiven: the port was written, so it overrides the
	// configuration's Port.
	PortGiven bool
}

// ParseError is a jump host that cannot be parsed.
type ParseError struct {
	Input  string // the jump host as written
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("sshconfig: jump host %q: %s", e.Input, e.Reason)
}

// ParseJump parses a jump list as ssh's -J and ProxyJump take it:
// comma-separated [user@]host[:port] or ssh://[user@]host[:port], an IPv6
// host in brackets when a port follows. The errors are *ParseError.
func ParseJump(s string) ([]Target, error) {
	var out []Target
	for _, hop := range strings.Split(s, ",") {
		fail := func(reason string) ([]Target, error) { return nil, &ParseError{Input: hop, Reason: reason} }
		h := hop
		if len(h) >= 6 && strings.EqualFold(h[:6], "ssh://") {
			h = strings.TrimSuffix(h[6:], "/")
		}
		var r Target
		if at := strings.LastIndexByte(h, '@'); at >= 0 {
			r.User, h = h[:at], h[at+1:]
			if r.User == "" {
				return fail("empty user name before '@'")
			}
		}
		if h == "" {
			return fail("empty jump host")
		}
		t, err := target.Parse(h)
		if err != nil {
			var te *target.Error
			if errors.As(err, &te) {
				return fail(te.Reason)
			}
			return fail(err.Error())
		}
		r.Host, r.Port = t.Host, t.Port
		if strings.HasPrefix(h, "[") {
			r.PortGiven = strings.Contains(h, "]:")
		} else {
			r.PortGiven = strings.Count(h, ":") == 1
		}
		for _, c := range r.User {
			if c <= ' ' || c == 0x7f || strings.ContainsRune(":/[]", c) {
				return fail("user name contains " + strconv.QuoteRune(c))
			}
		}
		out = append(out, r)
	}
	return out, nil
}
