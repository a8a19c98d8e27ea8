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
// is one x/crypto's matcher accepts too; Lint, Hosts and Lookup never fail.
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
			if l.Key != nil && l.Key.Type() != l.KeyType {
				t.Fatalf("line %d: key %s, written %s", l.Num, l.Key.Type(), l.KeyType)
			}
		}
		if _, err := kh.matcher(&kh.db, func(*Line) bool { return true }); err != nil {
			t.Fatalf("x/crypto refused lines Parse accepted: %v\n%q", err, data)
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
