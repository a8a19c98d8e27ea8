package knownhosts

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxFileSize bounds what Parse reads: far above any real known_hosts
// file, far below what would hurt. Lines have no limit of their own, as
// OpenSSH's getline has none: matching is linear in a line's length.
const MaxFileSize = 64 << 20

// ReadFile reads and parses the known_hosts file at path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("knownhosts: %w", err)
	}
	defer fh.Close()
	return Parse(fh, path)
}

// Parse reads a known_hosts file. It fails only on a read error or a file
// larger than MaxFileSize; a bad line becomes an Invalid Line.
func Parse(r io.Reader, name string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("knownhosts: %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, name, MaxFileSize)
	}
	f := &File{Name: name}
	for num := 1; len(data) > 0; num++ {
		raw, eol := data, ""
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, eol = data[:i], "\n"
			// OpenSSH reads a CRLF file fine (the CR ends up in whitespace
			// or the comment), so CRLF is a line ending here, kept as such.
			if i > 0 && data[i-1] == '\r' {
				raw, eol = data[:i-1], "\r\n"
			}
		}
		data = data[len(raw)+len(eol):]
		f.Lines = append(f.Lines, parseLine(name, num, string(raw), eol))
	}
	return f, nil
}

// scanner walks the space- or tab-separated fields of a line, as OpenSSH
// splits them.
type scanner struct {
	s   string
	pos int
}

func (sc *scanner) skipSpace() {
	for sc.pos < len(sc.s) && (sc.s[sc.pos] == ' ' || sc.s[sc.pos] == '\t') {
		sc.pos++
	}
}

// word returns the next field and where it starts.
func (sc *scanner) word() (string, int) {
	sc.skipSpace()
	start := sc.pos
	for sc.pos < len(sc.s) && sc.s[sc.pos] != ' ' && sc.s[sc.pos] != '\t' {
		sc.pos++
	}
	return sc.s[start:sc.pos], start
}

func (sc *scanner) rest() string {
	sc.skipSpace()
	return sc.s[sc.pos:]
}

// parseLine reads a line as OpenSSH's hostkeys_foreach_file does, field
// by field, and stops at the first thing it would reject.
func parseLine(file string, num int, raw, eol string) *Line {
	l := &Line{File: file, Num: num, Raw: raw, EOL: eol}
	// OpenSSH handles lines as C strings: a NUL ends the line.
	s := raw
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	sc := &scanner{s: s}
	sc.skipSpace()
	switch {
	case sc.pos == len(s):
		l.Kind = Blank
		return l
	case s[sc.pos] == '#':
		l.Kind = Comment
		return l
	}
	bad := func(format string, args ...any) *Line {
		l.Kind = Invalid
		l.Err = &SyntaxError{File: file, Line: num, Msg: fmt.Sprintf(format, args...)}
		return l
	}
	l.Kind = Entry
	if msg := l.readMarker(sc); msg != "" {
		return bad("%s", msg)
	}

	hosts, start := sc.word()
	if sc.pos == len(s) {
		return bad("truncated line: nothing follows the host pattern")
	}
	l.hostsStart, l.hostsEnd = start, start+len(hosts)
	l.Hosts = strings.Split(hosts, ",")
	l.Hashed = hosts[0] == '|'
	if l.Hashed {
		salt, ok := hashSalt(hosts)
		if !ok {
			return bad("bad hashed host %q: want |1|salt|hash, a 20-byte base64 salt", clip(hosts))
		}
		l.salt = salt
	}

	keyType, _ := sc.word()
	if keyType == "" || keyType[0] == '#' {
		return bad("missing key type")
	}
	l.KeyType = keyType
	if sc.pos == len(s) {
		return bad("missing key after %q", keyType)
	}
	b64, _ := sc.word()
	if isDigits(keyType) && len(keyType) < 8 {
		return bad("SSH-1 RSA key (bits %s): protocol 1 keys are no longer read", keyType)
	}
	if b64 == "" {
		return bad("missing key after %q", keyType)
	}
	l.Comment = sc.rest()

	blob, err := decodeBase64(b64)
	if err != nil {
		return bad("key is not valid base64: %v", err)
	}
	format, ok := blobType(blob)
	if !ok {
		return bad("key is truncated")
	}
	want, known := keyFormat(keyType)
	switch {
	case known && want != format:
		return bad("key type %q does not match the key, which is %q", keyType, format)
	case !known && keyType != format:
		return bad("key type %q does not match the key, which is %q", keyType, format)
	case !parsable[format]:
		return l // an unknown key type: kept, matched by nothing
	}
	key, err := parseKey(format, blob)
	if err != nil {
		return bad("malformed %s key: %v", format, err)
	}
	l.Key = key
	return l
}

// readMarker reads the markers as OpenSSH's check_markers does: a marker
// ends at the first space of the line or, when there is none, the first
// tab. "@cert-authority<TAB>host ssh-ed25519 ..." therefore has the marker
// "@cert-authority<TAB>host", which is none, and OpenSSH ignores the line.
func (l *Line) readMarker(sc *scanner) string {
	for sc.pos < len(sc.s) && sc.s[sc.pos] == '@' {
		if l.Marker != "" {
			return "more than one marker"
		}
		rest := sc.s[sc.pos:]
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = strings.IndexByte(rest, '\t')
		}
		if end < 0 {
			return fmt.Sprintf("marker %q and nothing after it", clip(rest))
		}
		m := rest[:end]
		if m != MarkerCA && m != MarkerRevoked {
			for _, known := range []string{MarkerCA, MarkerRevoked} {
				if strings.HasPrefix(m, known+"\t") {
					return fmt.Sprintf("%s is followed by a tab, and the line has a space later: OpenSSH ends a marker at the first space, reads %q as the marker, and ignores the line (write a space after the marker)", known, clip(m))
				}
			}
			return fmt.Sprintf("unknown marker %q", clip(m))
		}
		l.Marker = m
		sc.pos += end
		sc.skipSpace()
	}
	return ""
}

// decodeBase64 decodes as OpenSSH's b64_pton: padding required, no stray
// bits, whitespace ignored (only CR, LF, VT and FF can reach it here).
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\v\f") {
		s = strings.NewReplacer("\v", "", "\f", "").Replace(s)
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// clip shortens what goes into a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
