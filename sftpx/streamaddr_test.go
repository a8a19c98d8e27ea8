package sftpx

import (
	"errors"
	"testing"
)

func TestParseStreamAddress(t *testing.T) {
	for _, tc := range []struct {
		in, network, address, reason string
	}{
		{in: "unix:/run/sftp.sock", network: "unix", address: "/run/sftp.sock"},
		{in: "unix:relative.sock", network: "unix", address: "relative.sock"},
		{in: "unix:@abstract", network: "unix", address: "@abstract"},
		{in: "tcp:127.0.0.1:2222", network: "tcp", address: "127.0.0.1:2222"},
		{in: "tcp:[::1]:2222", network: "tcp", address: "[::1]:2222"},
		{in: "tcp:localhost", network: "tcp", address: "localhost:22"},
		{in: "unix:", reason: "no socket path after unix:"},
		{in: "unix:/tmp/a\x00b", reason: "a socket path cannot hold a NUL byte"},
		{in: "/run/x.sock", reason: "not unix:/path or tcp:host:port"},
		{in: "udp:host:1", reason: "not unix:/path or tcp:host:port"},
		{in: "", reason: "not unix:/path or tcp:host:port"},
		{in: "UNIX:/x", reason: "not unix:/path or tcp:host:port"},
		{in: "tcp:", reason: "?"},
		{in: "tcp:host:99999", reason: "?"},
	} {
		n, a, err := ParseStreamAddress(tc.in)
		if tc.reason == "" {
			if err != nil || n != tc.network || a != tc.address {
				t.Errorf("%q: got %q %q %v, want %q %q", tc.in, n, a, err, tc.network, tc.address)
			}
			continue
		}
		var se *StreamAddressError
		if !errors.As(err, &se) || se.Input != tc.in || (tc.reason != "?" && se.Reason != tc.reason) {
			t.Errorf("%q: got %q %q %v, want error %q", tc.in, n, a, err, tc.reason)
		}
	}
}

// FuzzParseStreamAddress: never panics, every failure is a
// *StreamAddressError, and a parsed address parses back to itself (what is
// shown as the stream's name is what is dialled).
func FuzzParseStreamAddress(f *testing.F) {
	for _, s := range []string{
		"unix:/run/sftp.sock", "unix:@x", "unix:", "unix:\x00", "tcp:127.0.0.1:22",
		"tcp:[::1]:22", "tcp:[::1", "tcp:host", "tcp:host:0", "tcp:h:65536", "tcp:fe80::1%lo",
		"tcp:\x1b[31m:22", "/x.sock", "", "tcp:", "tcp:user@host:22",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, a, err := ParseStreamAddress(s)
		if err != nil {
			var se *StreamAddressError
			if !errors.As(err, &se) || se.Input != s {
				t.Fatalf("%q: error %T %v", s, err, err)
			}
			return
		}
		if n != "unix" && n != "tcp" || a == "" {
			t.Fatalf("%q: parsed as %q %q", s, n, a)
		}
		n2, a2, err := ParseStreamAddress(n + ":" + a)
		if err != nil || n2 != n || a2 != a {
			t.Fatalf("%q -> %s:%s -> %q %q %v", s, n, a, n2, a2, err)
		}
	})
}
