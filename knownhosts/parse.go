package knownhosts

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

const (
	// MaxFileSize bounds what Parse reads: far above any real known_hosts
	// file, far below what would hurt.
	MaxFileSize = 64 << 20
	// MaxLineLen bounds an entry. Lookups hand the lines to x/crypto, whose
	// reader is a default bufio.Scanner: a longer line would fail every
	// lookup in the file instead of just being reported.
	MaxLineLen = bufio.MaxScanTokenSize - 1
)

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

func parseLine(file string, num int, raw, eol string) *Line {
	l := &Line{Num: num, Raw: raw, EOL: eol}
	trimmed := strings.TrimLeft(raw, " \t")
	switch {
	case trimmed == "":
		l.Kind = Blank
		return l
	case trimmed[0] == '#':
		l.Kind = Comment
		return l
	}
	bad := func(format string, args ...any) *Line {
		l.Kind = Invalid
		l.Err = &SyntaxError{File: file, Line: num, Msg: fmt.Sprintf(format, args...)}
		return l
	}
	if len(raw) > MaxLineLen {
		return bad("line is longer than %d bytes", MaxLineLen)
	}
	l.Kind = Entry
	sc := &scanner{s: raw}

	hosts, start := sc.word()
	if strings.HasPrefix(hosts, "@") {
		if hosts != MarkerCA && hosts != MarkerRevoked {
			return bad("unknown marker %q", hosts)
		}
		l.Marker = hosts
		hosts, start = sc.word()
	}
	switch {
	case hosts == "":
		return bad("missing host pattern after %s", l.Marker)
	case hosts[0] == '@' && l.Marker != "":
		return bad("second marker %q", hosts)
	}
	l.hostsStart, l.hostsEnd = start, start+len(hosts)
	l.Hosts = strings.Split(hosts, ",")
	l.Hashed = hosts[0] == '|'

	keyType, _ := sc.word()
	if keyType == "" || keyType[0] == '#' {
		return bad("missing key type")
	}
	l.KeyType = keyType
	b64, _ := sc.word()
	if isDigits(keyType) && len(keyType) < 8 {
		return bad("SSH-1 RSA key (bits %s): protocol 1 keys are no longer read", keyType)
	}
	if b64 == "" || b64[0] == '#' {
		return bad("missing key after %q", keyType)
	}
	l.Comment = sc.rest()

	if msg := checkHostsField(hosts); msg != "" {
		return bad("%s", msg)
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return bad("key is not valid base64: %v", err)
	}
	format, ok := blobType(blob)
	if !ok {
		return bad("key is truncated")
	}
	if format != keyType {
		return bad("key type %q does not match the key, which is %q", keyType, format)
	}
	if !parsable[format] {
		return l // an unknown key type: kept, matched by nothing
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return bad("malformed %s key: %v", format, err)
	}
	l.Key = key
	return l
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
