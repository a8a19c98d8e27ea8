package sftpx

import (
	"testing"
)

// FuzzParseRemote: no input panics; whatever parses prints back (String)
// as a remote path that parses to the same Remote; and IsRemote agrees
// with ParseRemote about what is remote at all. The seed corpus is in
// testdata/fuzz/FuzzParseRemote.
func FuzzParseRemote(f *testing.F) {
	for _, s := range []string{
		"host:file", "u@host:2222:/p", "[::1]:22:x", "sftp://u@h:22//abs", "sftp://h/a%20b",
		"./a:b", "h:123:x", "a@b@h:p", "[fe80::1%eth0]:p",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRemote(s)
		if IsRemote(s) == false && err == nil {
			t.Fatalf("IsRemote(%q) is false, yet it parses as %+v", s, r)
		}
		if err != nil {
			return
		}
		out := r.String()
		back, err := ParseRemote(out)
		if err != nil {
			t.Fatalf("ParseRemote(%q) = %+v, whose String %q does not parse: %v", s, r, out, err)
		}
		if back != r {
			t.Fatalf("ParseRemote(%q) = %+v; String %q parses as %+v", s, r, out, back)
		}
		if !IsRemote(out) {
			t.Fatalf("IsRemote(%q) is false for a String", out)
		}
	})
}
