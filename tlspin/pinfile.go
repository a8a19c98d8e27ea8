package tlspin

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Kind says what a pin's digest is of.
type Kind int

const (
	// Either: the digest may be of the certificate or of its public key;
	// a pin written without a kind. Two different SHA-256 inputs do not
	// share a digest, so accepting either loses nothing.
	Either Kind = iota
	// Cert: of the whole certificate (DER), the openssl fingerprint.
	Cert
	// SPKI: of the certificate's SubjectPublicKeyInfo (DER).
	SPKI
)

func (k Kind) String() string {
	switch k {
	case Cert:
		return "cert"
	case SPKI:
		return "spki"
	}
	return "cert or spki"
}

// Pin is one line of a pin file.
type Pin struct {
	Kind Kind
	Sum  Sum
	Line int // 1-based line number in its file
}

// Matches tells whether f is what p pins.
func (p Pin) Matches(f Fingerprints) bool {
	switch p.Kind {
	case Cert:
		return p.Sum == f.Cert
	case SPKI:
		return p.Sum == f.SPKI
	}
	return p.Sum == f.Cert || p.Sum == f.SPKI
}

// Limits of what a pin file may hold: it is a user file, read whole.
const (
	MaxFileSize = 1 << 20
	maxLine     = 4096
)

// ParseError is a line of a pin file that is no pin.
type ParseError struct {
	Path   string // "" when parsed from a reader
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.Path, e.Line)
		if e.Path == "" {
			where = fmt.Sprintf("line %d", e.Line)
		}
	}
	if where == "" {
		return "tlspin: " + e.Reason
	}
	return "tlspin: " + where + ": " + e.Reason
}

// Parse reads a pin file: one fingerprint a line, in any of the forms
//
//	AA:BB:...:FF                         openssl x509 -fingerprint -sha256 (its
//	sha256 Fingerprint=AA:BB:...:FF      whole output line also)
//	aabb...ff                            plain hex
//	aabb...ff  -                         sha256sum's output line
//	SHA256:q83vEjRWeJq...                OpenSSH's unpadded base64
//
// optionally after a kind, "cert" or "spki", which says what the digest is
// of; without one it may be of either. '#' starts a comment; blank lines
// are skipped. Any other line is an error: a typo must not become a file
// that pins nothing.
func Parse(r io.Reader) ([]Pin, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &ParseError{Reason: fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)}
	}
	var pins []Pin
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(line) > maxLine {
			return nil, &ParseError{Line: n, Reason: fmt.Sprintf("a line longer than %d bytes", maxLine)}
		}
		p, ok, err := parseLine(string(line))
		if err != nil {
			return nil, &ParseError{Line: n, Reason: err.Error()}
		}
		if ok {
			p.Line = n
			pins = append(pins, p)
		}
	}
	return pins, nil
}

func parseLine(line string) (Pin, bool, error) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return Pin{}, false, nil
	}
	if strings.ContainsRune(line, 0) {
		return Pin{}, false, errors.New("a NUL byte")
	}
	var p Pin
	fields := strings.Fields(line)
	switch strings.ToLower(fields[0]) {
	case "cert":
		p.Kind, fields = Cert, fields[1:]
	case "spki":
		p.Kind, fields = SPKI, fields[1:]
	}
	if len(fields) == 0 {
		return Pin{}, false, errors.New("a kind with no fingerprint after it")
	}
	// openssl's own line: "sha256 Fingerprint=AA:..." (OpenSSL 3) or
	// "SHA256 Fingerprint=AA:..." (1.1). Its digest is the certificate's.
	if len(fields) >= 2 && strings.EqualFold(fields[0], "sha256") && len(fields[1]) > 12 && strings.EqualFold(fields[1][:12], "fingerprint=") {
		if p.Kind == SPKI {
			return Pin{}, false, errors.New("openssl's fingerprint line is the certificate's, not the public key's")
		}
		p.Kind = Cert
		fields = append([]string{fields[1][12:]}, fields[2:]...)
	}
	fp := fields[0]
	rest := fields[1:]
	sum, plainHex, err := parseSum(fp)
	if err != nil {
		return Pin{}, false, err
	}
	// sha256sum prints "HEX  NAME" ("-" for standard input): the name is
	// part of what people copy.
	if len(rest) > 1 || (len(rest) == 1 && !plainHex) {
		return Pin{}, false, fmt.Errorf("unexpected %q after the fingerprint", rest[0])
	}
	p.Sum = sum
	return p, true, nil
}

// parseSum reads one fingerprint; plainHex says it was plain hex.
func parseSum(s string) (sum Sum, plainHex bool, err error) {
	switch {
	case len(s) > 7 && strings.EqualFold(s[:7], "sha256:"):
		b64 := strings.TrimRight(s[7:], "=")
		b, err := base64.RawStdEncoding.DecodeString(b64)
		if err != nil || len(b) != len(sum) {
			return sum, false, fmt.Errorf("%q is not SHA256: and 43 characters of base64", clip(s))
		}
		copy(sum[:], b)
		return sum, false, nil
	case strings.Contains(s, ":"):
		parts := strings.Split(s, ":")
		if len(parts) != len(sum) {
			return sum, false, fmt.Errorf("%q is not 32 colon-separated hex pairs (a SHA-256 fingerprint)", clip(s))
		}
		for i, h := range parts {
			if len(h) != 2 {
				return sum, false, fmt.Errorf("%q is not 32 colon-separated hex pairs (a SHA-256 fingerprint)", clip(s))
			}
			b, err := hex.DecodeString(h)
			if err != nil {
				return sum, false, fmt.Errorf("%q is not hex", clip(h))
			}
			sum[i] = b[0]
		}
		return sum, false, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(sum) {
		return sum, false, fmt.Errorf("%q is not a SHA-256 fingerprint: 64 hex digits, AA:BB:... or SHA256:base64", clip(s))
	}
	copy(sum[:], b)
	return sum, true, nil
}

// clip keeps an error message short when a line is long.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Set is the pins of one file.
type Set struct {
	Path string
	Pins []Pin
}

// ReadFile reads a pin file. A missing file is an error that wraps
// fs.ErrNotExist.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pins, err := Parse(f)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return nil, err
	}
	return &Set{Path: path, Pins: pins}, nil
}

// Match returns the first pin that f matches.
func (s *Set) Match(f Fingerprints) (Pin, bool) {
	if s == nil {
		return Pin{}, false
	}
	for _, p := range s.Pins {
		if p.Matches(f) {
			return p, true
		}
	}
	return Pin{}, false
}

// Line is the pin file line for a fingerprint of kind k.
func Line(k Kind, s Sum) string {
	switch k {
	case Cert:
		return "cert " + s.String()
	case SPKI:
		return "spki " + s.String()
	}
	return s.String()
}

func parseBytes(b []byte) ([]Pin, error) {
	return Parse(bytes.NewReader(b))
}

func readBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b, nil
}
