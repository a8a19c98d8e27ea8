package knownhosts

import (
	"bytes"
	"fmt"
	"sync"

	"golang.org/x/crypto/ssh"
)

// LineKind says what a line of a known_hosts file holds.
type LineKind int

const (
	Blank   LineKind = iota // empty or only spaces and tabs
	Comment                 // first non-blank character is '#'
	Entry                   // marker (optional), hosts, key type, key, comment
	Invalid                 // an entry OpenSSH would skip; Line.Err says why
)

func (k LineKind) String() string {
	switch k {
	case Blank:
		return "blank"
	case Comment:
		return "comment"
	case Entry:
		return "entry"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// The two markers OpenSSH knows.
const (
	MarkerCA      = "@cert-authority"
	MarkerRevoked = "@revoked"
)

// Line is one line of a known_hosts file. An Invalid line has the fields
// read before the error set.
//
// An Entry whose key type this package does not know has a nil Key: it is
// kept and written back, OpenSSH ignores it too, and Lint warns about it.
type Line struct {
	File string // the file's name, as the caller gave it
	Num  int    // 1-based
	Raw  string // the line as read, without its line ending
	EOL  string // "\n", "\r\n", or "" for a last line without one
	Kind LineKind

	Marker  string   // "", MarkerCA or MarkerRevoked
	Hosts   []string // the hosts field split at commas, as written
	Hashed  bool     // the hosts field is one |1|salt|hash
	KeyType string   // as written
	Key     ssh.PublicKey
	Comment string

	Err error // for Invalid lines: a *SyntaxError

	hostsStart, hostsEnd int    // the hosts field's span in Raw, for rewrites
	salt                 []byte // a hashed field's salt; nil if OpenSSH rejects it
}

// Pos is where the line is: "file:line", for messages.
func (l *Line) Pos() string { return fmt.Sprintf("%s:%d", l.File, l.Num) }

// File is a parsed known_hosts file. Change it only through Apply.
type File struct {
	Name  string
	Lines []*Line

	mu  sync.Mutex
	gen uint64 // bumped by Apply, so a Change planned earlier is refused
}

// Bytes returns the file's content: every line's raw bytes and line ending.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.Lines {
		b.WriteString(l.Raw)
		b.WriteString(l.EOL)
	}
	return b.Bytes()
}

// pinned reports whether l pins a key we can compare (not a CA, not revoked).
func (l *Line) pinned() bool {
	return l.Kind == Entry && l.Marker == "" && l.Key != nil
}
