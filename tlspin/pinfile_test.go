package tlspin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

var (
	sumA = Sum(sha256.Sum256([]byte("a")))
	hexA = hex.EncodeToString(sumA[:])
	b64A = base64.RawStdEncoding.EncodeToString(sumA[:])
)

func TestParseForms(t *testing.T) {
	tests := []struct {
		name, line string
		kind       Kind
	}{
		{"openssl pairs", sumA.OpenSSL(), Either},
		{"openssl pairs lower case", strings.ToLower(sumA.OpenSSL()), Either},
		{"openssl 3 output line", "sha256 Fingerprint=" + sumA.OpenSSL(), Cert},
		{"openssl 1.1 output line", "SHA256 Fingerprint=" + sumA.OpenSSL(), Cert},
		{"plain hex", hexA, Either},
		{"plain hex upper case", strings.ToUpper(hexA), Either},
		{"sha256sum of stdin", hexA + "  -", Either},
		{"sha256sum of a file", hexA + "  pub.der", Either},
		{"openssh base64", "SHA256:" + b64A, Either},
		{"openssh base64 padded", "SHA256:" + b64A + "=", Either},
		{"lower case prefix", "sha256:" + b64A, Either},
		{"spki kind", "spki SHA256:" + b64A, SPKI},
		{"cert kind", "cert " + hexA, Cert},
		{"kind in capitals", "SPKI " + sumA.OpenSSL(), SPKI},
		{"trailing comment", "SHA256:" + b64A + "  # web-1, 2026", Either},
		{"leading space and CRLF", "  " + hexA + "\r", Either},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pins, err := Parse(strings.NewReader("# a comment\n\n" + tt.line + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if len(pins) != 1 {
				t.Fatalf("got %d pins, want 1", len(pins))
			}
			if p := pins[0]; p.Sum != sumA || p.Kind != tt.kind || p.Line != 3 {
				t.Errorf("got %+v, want sum %s kind %v line 3", p, sumA, tt.kind)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"short hex", hexA[:62], "not a SHA-256 fingerprint"},
		{"long hex", hexA + "00", "not a SHA-256 fingerprint"},
		{"31 pairs", sumA.OpenSSL()[3:], "32 colon-separated"},
		{"bad pair", "ZZ" + sumA.OpenSSL()[2:], "not hex"},
		{"odd pair", "A" + sumA.OpenSSL()[2:], "32 colon-separated"},
		{"short base64", "SHA256:" + b64A[:40], "43 characters"},
		{"md5", "MD5:" + sumA.OpenSSL()[:47], "32 colon-separated"},
		{"kind alone", "spki", "no fingerprint"},
		{"trailing word after base64", "SHA256:" + b64A + " web-1", "unexpected"},
		{"two words after hex", hexA + " a b", "unexpected"},
		{"spki on openssl's cert line", "spki sha256 Fingerprint=" + sumA.OpenSSL(), "certificate's"},
		{"a known_hosts line", "web-1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB", "not a SHA-256"},
		{"NUL", hexA + "\x00", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader("# ok\n" + tt.line + "\n"))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Line != 2 || !strings.Contains(pe.Reason, tt.want) {
				t.Errorf("got line %d %q, want line 2 and %q", pe.Line, pe.Reason, tt.want)
			}
		})
	}
}

func TestParseBounds(t *testing.T) {
	_, err := Parse(strings.NewReader(strings.Repeat("#", maxLine+1)))
	if err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a long line: got %v", err)
	}
	_, err = Parse(strings.NewReader(strings.Repeat("#\n", MaxFileSize/2+1)))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a large file: got %v", err)
	}
	pins, err := Parse(strings.NewReader(strings.Repeat("# comment\n", 1000)))
	if err != nil || len(pins) != 0 {
		t.Errorf("comments only: got %v, %v", pins, err)
	}
}

func TestSumForms(t *testing.T) {
	var s Sum
	for i := range s {
		s[i] = byte(i)
	}
	if got, want := s.OpenSSL(), "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F"; got != want {
		t.Errorf("OpenSSL: got %s, want %s", got, want)
	}
	if got, want := s.String(), "SHA256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; got != want {
		t.Errorf("String: got %s, want %s", got, want)
	}
	// Every form a Sum prints parses back to it.
	for _, line := range []string{s.OpenSSL(), s.Hex(), s.String(), Line(SPKI, s), Line(Cert, s)} {
		pins, err := Parse(strings.NewReader(line))
		if err != nil || len(pins) != 1 || pins[0].Sum != s {
			t.Errorf("%q: got %v, %v", line, pins, err)
		}
	}
}

func TestPinMatchesByKind(t *testing.T) {
	f := Fingerprints{Cert: sumA, SPKI: Sum(sha256.Sum256([]byte("b")))}
	tests := []struct {
		pin  Pin
		want bool
	}{
		{Pin{Kind: Either, Sum: f.Cert}, true},
		{Pin{Kind: Either, Sum: f.SPKI}, true},
		{Pin{Kind: Cert, Sum: f.Cert}, true},
		{Pin{Kind: Cert, Sum: f.SPKI}, false},
		{Pin{Kind: SPKI, Sum: f.SPKI}, true},
		{Pin{Kind: SPKI, Sum: f.Cert}, false},
		{Pin{Kind: Either, Sum: Sum{}}, false},
	}
	for _, tt := range tests {
		if got := tt.pin.Matches(f); got != tt.want {
			t.Errorf("%v %s: got %v, want %v", tt.pin.Kind, tt.pin.Sum, got, tt.want)
		}
	}
}
