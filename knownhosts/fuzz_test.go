package knownhosts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: Parse never fails or panics on input within MaxFileSize,
// writes back exactly what it read, and every line it accepts as an entry
// has a key of the type it names; Lint, Hosts and Lookup never fail.
func FuzzParse(f *testing.F) {
	// The fixtures, in pieces of a few lines: small seeds keep the
	// minimisation of a new input short.
	files, _ := filepath.Glob(filepath.Join(testdata, "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := strings.SplitAfter(string(b), "\n")
		for i := 0; i < len(lines); i += 4 {
			f.Add([]byte(strings.Join(lines[i:min(i+4, len(lines))], "")))
		}
	}
	for _, s := range []string{
		"", "\n", "\r\n", "\r", "a", "#", "@", "@revoked", "@cert-authority * x",
		"a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP\r\nno newline",
		",@x,#y,|z,[a]:b,!,!! ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP",
		"|1|gli9TPQAc6IKM3MlvsCvq5XBPyU=|WtCUHG5/4qDe3sL/UdS0dge4oJc= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP",
		"a\x00b ssh-ed25519 AAAA\n\xff\xfe\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		kh, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if got := kh.Bytes(); !bytes.Equal(got, data) {
			t.Fatalf("round trip:\n%q\n%q", data, got)
		}
		for i, l := range kh.Lines {
			if l.Num != i+1 || strings.Contains(l.Raw, "\n") || (l.EOL == "" && i != len(kh.Lines)-1) {
				t.Fatalf("line %d: %+v", i+1, l)
			}
			if (l.Kind == Invalid) != (l.Err != nil) {
				t.Fatalf("line %d: kind %v, err %v", l.Num, l.Kind, l.Err)
			}
			if want, _ := keyFormat(l.KeyType); l.Key != nil && l.Key.Type() != want {
				t.Fatalf("line %d: key %s, written %s", l.Num, l.Key.Type(), l.KeyType)
			}
		}
		kh.Lint()
		if _, _, err := kh.Hosts(); err != nil {
			t.Fatal(err)
		}
		for _, port := range []int{22, 2222} {
			if _, err := kh.Lookup("a.example.com", port); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// globRef is the textbook backtracking glob, OpenSSH's old match_pattern:
// the reference matchPattern must agree with.
func globRef(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if globRef(s[i:], p[1:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}

// FuzzMatchPattern: the linear glob answers as the backtracking one.
func FuzzMatchPattern(f *testing.F) {
	for _, c := range [][2]string{
		{"aaaab", "a*a*a*a*b"}, {"", "*"}, {"a", ""}, {"abc", "a?c"}, {"[h]:22", "[h]:*"},
		{"web-1.example.com", "*.example.com"}, {"ab", "*?*?*"}, {"a", "**a**"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		if len(s) > 24 || len(p) > 12 {
			return // the reference is exponential
		}
		if got, want := matchPattern(s, p), globRef(s, p); got != want {
			t.Fatalf("matchPattern(%q, %q) = %v, want %v", s, p, got, want)
		}
	})
}
