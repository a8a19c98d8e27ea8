package sftpx

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRemote(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Remote
	}{
		{"host:file", Remote{Host: "host", Port: 22, Path: "file"}},
		{"host:", Remote{Host: "host", Port: 22, Path: ""}},
		{"host:/abs/path", Remote{Host: "host", Port: 22, Path: "/abs/path"}},
		{"alice@host:dir/f", Remote{User: "alice", Host: "host", Port: 22, Path: "dir/f"}},
		{"host:2222:/tmp/x", Remote{Host: "host", Port: 2222, Path: "/tmp/x", PortGiven: true}},
		{"bob@host:2222:", Remote{User: "bob", Host: "host", Port: 2222, Path: "", PortGiven: true}},
		{"host:a:b", Remote{Host: "host", Port: 22, Path: "a:b"}},
		{"host:/x:2:y", Remote{Host: "host", Port: 22, Path: "/x:2:y"}},
		{"[::1]:/p", Remote{Host: "::1", Port: 22, Path: "/p"}},
		{"[::1]:2222:p", Remote{Host: "::1", Port: 2222, Path: "p", PortGiven: true}},
		{"u@[fe80::1%eth0]:2222:/p", Remote{User: "u", Host: "fe80::1%eth0", Port: 2222, Path: "/p", PortGiven: true}},
		{"[host.example]:x", Remote{Host: "host.example", Port: 22, Path: "x"}},
		{"a@b@host:p", Remote{User: "a@b", Host: "host", Port: 22, Path: "p"}},
		{"host:p@q", Remote{Host: "host", Port: 22, Path: "p@q"}},
		{"127.0.0.1:22:/x", Remote{Host: "127.0.0.1", Port: 22, Path: "/x", PortGiven: true}},
		{"sftp://host", Remote{Host: "host", Port: 22}},
		{"sftp://host/", Remote{Host: "host", Port: 22}},
		{"sftp://host/dir/f", Remote{Host: "host", Port: 22, Path: "dir/f"}},
		{"sftp://host//etc/motd", Remote{Host: "host", Port: 22, Path: "/etc/motd"}},
		{"SFTP://u@host:2222/a%20b+c", Remote{User: "u", Host: "host", Port: 2222, Path: "a b+c", PortGiven: true}},
		{"sftp://al%40ice@[::1]:2022/~/x", Remote{User: "al@ice", Host: "::1", Port: 2022, Path: "~/x", PortGiven: true}},
		{"sftp://[::1]/p", Remote{Host: "::1", Port: 22, Path: "p"}},
	} {
		got, err := ParseRemote(tc.in)
		if err != nil {
			t.Errorf("ParseRemote(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseRemote(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		back, err := ParseRemote(got.String())
		if err != nil || back != got {
			t.Errorf("ParseRemote(%q.String() = %q) = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestParseRemoteErrors(t *testing.T) {
	for _, tc := range []struct{ in, reason string }{
		{"localfile", "not a remote path"},
		{"./a:b", "not a remote path"},
		{"dir/x:y", "not a remote path"},
		{":leading", "not a remote path"},
		{"/abs/a:b", "not a remote path"},
		{"", "not a remote path"},
		{"@host:p", "empty user name"},
		{"host:99999:p", "invalid port"},
		{"host:0:p", "invalid port"},
		{"[::1:p", "not a remote path"},
		{"[::1]x:p", "not a remote path"},
		{"[zz::1]:p", "not an IPv6 address"},
		{"ho st:p", "host contains"},
		{"ho\x1bst:p", "host contains"},
		{"u\x1b@host:p", "user name contains"},
		{"host:p\x00", "NUL"},
		{"sftp://", "empty host"},
		{"sftp://u@", "empty host"},
		{"sftp://@host/p", "empty user name"},
		{"sftp://u;fingerprint=SHA256-abc@host/p", "connection parameters"},
		{"sftp://host:x/p", "invalid port"},
		{"sftp://host:/p", "invalid port"},
		{"sftp://host:70000", "invalid port"},
		{"sftp://[::1/p", "missing ']'"},
		{"sftp://[::1]x/p", "unexpected text"},
		{"sftp://host/%zz", "percent-encoding"},
		{"sftp://host/a%00b", "NUL"},
		{"sftp://u:pw@host/p", "user name contains"},
	} {
		_, err := ParseRemote(tc.in)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("ParseRemote(%q) = %v, want a ParseError", tc.in, err)
			continue
		}
		if !strings.Contains(pe.Reason, tc.reason) {
			t.Errorf("ParseRemote(%q): reason %q, want %q", tc.in, pe.Reason, tc.reason)
		}
	}
}

func TestIsRemote(t *testing.T) {
	for in, want := range map[string]bool{
		"host:f": true, "u@host:f": true, "[::1]:f": true, "u@[::1]:f": true, "sftp://h/p": true,
		"f": false, "./a:b": false, "/x/y:z": false, ":f": false, "C": false, "[::1]": false,
	} {
		if got := IsRemote(in); got != want {
			t.Errorf("IsRemote(%q) = %v, want %v", in, got, want)
		}
	}
}

// A path that starts like a port is written with the port, so that it
// reads back as the same path.
func TestRemoteStringDisambiguates(t *testing.T) {
	for _, tc := range []struct {
		r    Remote
		want string
	}{
		// The port given: the scp form says so.
		{Remote{Host: "h", Port: 22, PortGiven: true, Path: "123:notes"}, "h:22:123:notes"},
		// No port given: "h:22:..." would read back as one given, so
		// the URI form, which needs none.
		{Remote{Host: "h", Port: 22, Path: "123:notes"}, "sftp://h/123:notes"},
		{Remote{User: "a;b%", Host: "::1", Port: 22, Path: "1:50%"}, "sftp://a%3Bb%25@[::1]/1:50%25"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.r, got, tc.want)
		}
		if back, err := ParseRemote(tc.want); err != nil || back != tc.r {
			t.Errorf("ParseRemote(%q) = %+v, %v, want %+v", tc.want, back, err, tc.r)
		}
	}
	if got := (Remote{User: "u", Host: "::1", Port: 2222, Path: "/p"}).String(); got != "u@[::1]:2222:/p" {
		t.Errorf("String() = %q", got)
	}
}
