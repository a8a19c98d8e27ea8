package knownhosts

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOpenSSHMatchVectors replays the assertions of OpenSSH's
// regress/unittests/match/tests.c (testdata/knownhosts/openssh/match.tsv).
func TestOpenSSHMatchVectors(t *testing.T) {
	fh, err := os.Open(filepath.Join(testdata, "openssh", "match.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	n := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			t.Fatalf("bad vector %q", sc.Text())
		}
		want, _ := strconv.Atoi(f[3])
		got := matchList(f[1], f[2])
		if f[0] == "pattern" {
			got = 0
			if matchPattern(f[1], f[2]) {
				got = 1
			}
		}
		if got != want {
			t.Errorf("%s(%q, %q) = %d, want %d", f[0], f[1], f[2], got, want)
		}
		n++
	}
	if n < 90 {
		t.Fatalf("only %d vectors", n)
	}
}

// TestOpenSSHHostkeysVector reads OpenSSH's unit-test known_hosts file:
// its "invalid lines" section is invalid here too, everything before it is
// usable, and lookups find what test_iterate.c expects to match.
func TestOpenSSHHostkeysVector(t *testing.T) {
	path := filepath.Join(testdata, "openssh", "hostkeys_known_hosts")
	set, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f := set.Files()[0]
	invalidFrom := 0
	for _, l := range f.Lines {
		if l.Kind == Comment && strings.Contains(l.Raw, "Some invalid lines") {
			invalidFrom = l.Num
		}
	}
	for _, l := range f.Lines {
		switch {
		case invalidFrom > 0 && l.Num > invalidFrom && l.Kind != Blank && l.Kind != Comment:
			if l.Kind != Invalid && l.Key != nil {
				t.Errorf("%s: %q reads as a usable entry; OpenSSH rejects it", l.Pos(), l.Raw)
			}
		case l.Num < invalidFrom && l.Kind == Invalid:
			// The rsa1 lines are SSH-1 keys, which OpenSSH no longer reads.
			if !strings.Contains(l.Err.Error(), "SSH-1") {
				t.Errorf("%s: %v", l.Pos(), l.Err)
			}
		}
	}
	for _, tc := range []struct {
		host      string
		port      int
		keys, cas int
	}{
		{"sisyphus.example.com", 22, 3 + 3, 0},   // its own lines and *.example.com
		{"prometheus.example.com", 22, 3 + 3, 1}, // and its CA
		{"192.0.2.1", 22, 3 + 3, 0},
		{"2001:db8::1", 22, 3 + 3, 0},
		{"other.example.com", 22, 3, 0},
		{"nothing.example.org", 22, 0, 0},
	} {
		m, err := set.Lookup(tc.host, tc.port)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Keys) < tc.keys || len(m.Authorities) != tc.cas {
			t.Errorf("%s: %d keys, %d CAs; want at least %d keys, %d CAs", tc.host, len(m.Keys), len(m.Authorities), tc.keys, tc.cas)
		}
	}
}
