package sftpx

import (
	"errors"
	"strings"

	"github.com/sshpin/sshpin/target"
)

// StreamAddressError is a stream address that does not name a socket. Input
// is what the user wrote, unescaped: whoever shows it escapes it.
type StreamAddressError struct {
	Input  string
	Reason string
}

func (e *StreamAddressError) Error() string { return e.Input + ": " + e.Reason }

// ParseStreamAddress reads "unix:/path" or "tcp:host:port", the two sockets
// a Stream can dial, into a Network and an Address for it. A TCP address is
// read as target.Parse reads one (brackets for IPv6, port required to be a
// number) and given back in its canonical form, so what is dialled is what
// is shown. A socket path cannot hold a NUL (the kernel would cut it there
// and dial another name); an abstract Linux socket is written "unix:@name",
// as Go's net package spells it.
func ParseStreamAddress(s string) (network, address string, err error) {
	fail := func(reason string) (string, string, error) {
		return "", "", &StreamAddressError{Input: s, Reason: reason}
	}
	switch {
	case strings.HasPrefix(s, "unix:"):
		p := s[len("unix:"):]
		switch {
		case p == "":
			return fail("no socket path after unix:")
		case strings.IndexByte(p, 0) >= 0:
			return fail("a socket path cannot hold a NUL byte")
		}
		return "unix", p, nil
	case strings.HasPrefix(s, "tcp:"):
		t, err := target.Parse(s[len("tcp:"):])
		if err != nil {
			var te *target.Error
			if errors.As(err, &te) {
				return fail(te.Reason)
			}
			return fail(err.Error())
		}
		return "tcp", t.String(), nil
	}
	return fail("not unix:/path or tcp:host:port")
}
