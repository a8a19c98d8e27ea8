package sftpx

import (
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
)

// A directory listing names files by what the server sends, and a name
// that is not a single path element ("../../.ssh/authorized_keys", "a/b",
// "", one with a NUL) would, joined to a directory, name some other file
// (the scp CVE-2019-6111 class). OpenSSH's sftp reports such a name
// ("Server sent suspect path") and leaves it out. pkg/sftp's ReadDir
// instead cuts every name to its last element (path.Base), so that
// "../../x" arrives as a plain "x" and the lie cannot be seen any more.
//
// So sshpin looks at READDIR replies before pkg/sftp does: packetWriter
// tells readdirIDs each READDIR it sends, and nameFilter, on the stream
// from the server, rewrites in the NAME reply to one every name that is
// not a single element into a marker pkg/sftp passes through untouched:
// a NUL (no real name holds one) and the name with '%', '/' and NUL
// percent-encoded. listedName turns a listed name back into the server's
// and says whether, and why, it is suspect. "." and ".." are the
// directory's own entries, in every listing of OpenSSH's server; they are
// left for pkg/sftp, which drops them.

const (
	fxpClose   = 4
	fxpReaddir = 12
	fxpName    = 104
	// suspectMark starts a listed name nameFilter rewrote.
	suspectMark = "\x00"
	// maxNamePacket is the largest reply pkg/sftp reads (its
	// maxMsgLength); a larger one is its to refuse, and is passed on.
	maxNamePacket = 256 << 10
)

var markEscape = strings.NewReplacer("%", "%25", "/", "%2F", "\x00", "%00")
var markUnescape = strings.NewReplacer("%25", "%", "%2F", "/", "%00", "\x00")

// listedName is the name the server sent for a listed entry, and, when it
// is not a single path element, why (else ""). Such an entry must not be
// used: it is reported, with the name escaped for the terminal, and
// skipped.
func listedName(listed string) (name, suspect string) {
	name = listed
	if raw, ok := strings.CutPrefix(name, suspectMark); ok {
		name = markUnescape.Replace(raw)
	}
	switch {
	case name == "":
		return name, "the server sent an empty file name"
	case strings.ContainsRune(name, 0):
		return name, "the server sent a file name with a NUL byte"
	case strings.ContainsRune(name, '/'), strings.ContainsRune(name, filepath.Separator):
		return name, "the server sent a file name that is a path (it holds a '/')"
	case name == "." || name == "..":
		return name, "the server sent \"" + name + "\" as a file name"
	}
	return name, ""
}

// suspectPath is how a suspect entry is named in a Result or an error:
// the directory and the name as the server sent it, never cleaned (a
// path.Join would turn "dir/../x" into "x").
func suspectPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// readdirIDs are the request ids of the READDIRs in flight, each with the
// directory handle it reads, and what each open directory listed so far
// (listinglimit.go).
type readdirIDs struct {
	mu    sync.Mutex
	ids   map[uint32]string // READDIR request id -> handle
	lists map[string]*listed
	// maxEntries and maxBytes bound one listing; 0 means the defaults.
	maxEntries, maxBytes int
}

// sent is told every packet the client sends, length prefix included.
func (r *readdirIDs) sent(p []byte) {
	if len(p) < 9 || (p[4] != fxpReaddir && p[4] != fxpClose) {
		return
	}
	// A request without a whole handle is the server's to refuse; its
	// listing counts under the empty handle.
	handle, _, _ := sshString(p[9:])
	r.mu.Lock()
	defer r.mu.Unlock()
	if p[4] == fxpClose {
		// The handle's listing is over; a server may hand the same
		// handle out again for the next directory.
		delete(r.lists, string(handle))
		return
	}
	if r.ids == nil {
		r.ids = map[uint32]string{}
	}
	r.ids[binary.BigEndian.Uint32(p[5:9])] = string(handle)
}

// answered reports whether id was a READDIR's, which is then answered,
// and the handle it read.
func (r *readdirIDs) answered(id uint32) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.ids[id]
	delete(r.ids, id)
	return h, ok
}

// nameFilter passes the server's packets on, rewriting the NAME replies
// to READDIRs (see above). Other packets (file data above all) stream
// through without a copy.
type nameFilter struct {
	r    io.Reader
	ids  *readdirIDs
	hdr  [9]byte
	out  []byte // bytes to hand on before reading further
	pass int    // bytes of the current packet still to stream through
	err  error
}

func (f *nameFilter) Read(p []byte) (int, error) {
	for {
		if len(f.out) > 0 {
			n := copy(p, f.out)
			f.out = f.out[n:]
			return n, nil
		}
		if f.err != nil {
			return 0, f.err
		}
		if f.pass > 0 {
			if len(p) > f.pass {
				p = p[:f.pass]
			}
			n, err := f.r.Read(p)
			f.pass -= n
			return n, err
		}
		f.next()
	}
}

// next reads the next packet's header and decides what to do with it.
func (f *nameFilter) next() {
	if n, err := io.ReadFull(f.r, f.hdr[:4]); err != nil {
		f.out, f.err = f.hdr[:n], err
		return
	}
	length := int(binary.BigEndian.Uint32(f.hdr[:4]))
	if length < 5 {
		// No id to look at: pkg/sftp judges it.
		f.out, f.pass = f.hdr[:4], length
		return
	}
	if n, err := io.ReadFull(f.r, f.hdr[4:9]); err != nil {
		f.out, f.err = f.hdr[:4+n], err
		return
	}
	typ, id := f.hdr[4], binary.BigEndian.Uint32(f.hdr[5:9])
	handle, readdir := "", false
	if length <= maxNamePacket {
		handle, readdir = f.ids.answered(id)
	}
	if !readdir || typ != fxpName {
		f.out, f.pass = f.hdr[:9], length-5
		return
	}
	pkt := make([]byte, 4+length)
	copy(pkt, f.hdr[:9])
	if n, err := io.ReadFull(f.r, pkt[9:]); err != nil {
		f.out, f.err = pkt[:9+n], err
		return
	}
	if code := f.ids.count(handle, pkt); code != 0 {
		f.out = cutPacket(id, code)
		return
	}
	f.out = markSuspects(pkt)
}

// markSuspects rewrites the NAME packet pkt (length prefix included) with
// every name that is not a single path element marked. A packet it cannot
// parse is returned as is, for pkg/sftp to refuse.
func markSuspects(pkt []byte) []byte {
	b := pkt[9:]
	if len(b) < 4 {
		return pkt
	}
	count := binary.BigEndian.Uint32(b)
	b = b[4:]
	out := append([]byte(nil), pkt[:13]...)
	changed := false
	for range count {
		name, rest, ok := sshString(b)
		if !ok {
			return pkt
		}
		long, afterLong, ok := sshString(rest)
		if !ok {
			return pkt
		}
		attrs, rest, err := attrsLen(afterLong)
		if err != nil {
			return pkt
		}
		s := string(name)
		if suspectName(s) {
			s = suspectMark + markEscape.Replace(s)
			changed = true
		}
		out = appendString(out, []byte(s))
		out = appendString(out, long)
		out = append(out, afterLong[:attrs]...)
		b = rest
	}
	if !changed {
		return pkt
	}
	out = append(out, b...) // OpenSSH's end-of-list flag, or whatever follows
	if len(out)-4 > maxNamePacket {
		// Marked names are longer: past pkg/sftp's limit, the listing
		// would fail as a whole. Left unmarked instead, they would be
		// cut to their last element; so every suspect name loses its
		// text, and is still reported (as a suspect NUL).
		return markBare(pkt)
	}
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// markBare is markSuspects with each suspect name replaced by the bare
// mark: never longer than pkt by more than a byte per empty name.
func markBare(pkt []byte) []byte {
	b := pkt[13:]
	out := append([]byte(nil), pkt[:13]...)
	for range binary.BigEndian.Uint32(pkt[9:13]) {
		name, rest, _ := sshString(b)
		long, afterLong, _ := sshString(rest)
		attrs, rest, _ := attrsLen(afterLong)
		s := string(name)
		if suspectName(s) {
			s = suspectMark
		}
		out = appendString(out, []byte(s))
		out = appendString(out, long)
		out = append(out, afterLong[:attrs]...)
		b = rest
	}
	out = append(out, b...)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out
}

// suspectName is a name as sent that is not a single path element, "." and
// ".." (the directory's own entries) aside.
func suspectName(s string) bool {
	return s != "." && s != ".." && (s == "" || strings.ContainsAny(s, "/\x00"))
}

var errShortAttrs = errors.New("short attributes")

// attrsLen measures the ATTRS at the start of b (draft-ietf-secsh-filexfer-02
// §5): their length, and what follows them.
func attrsLen(b []byte) (int, []byte, error) {
	start := len(b)
	if len(b) < 4 {
		return 0, nil, errShortAttrs
	}
	flags := binary.BigEndian.Uint32(b)
	b = b[4:]
	fixed := 0
	for _, f := range []struct {
		bit  uint32
		size int
	}{{0x1, 8}, {0x2, 8}, {0x4, 4}, {0x8, 8}} {
		if flags&f.bit != 0 {
			fixed += f.size
		}
	}
	if len(b) < fixed {
		return 0, nil, errShortAttrs
	}
	b = b[fixed:]
	if flags&0x80000000 != 0 {
		if len(b) < 4 {
			return 0, nil, errShortAttrs
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		for range n {
			var ok bool
			if _, b, ok = sshString(b); !ok {
				return 0, nil, errShortAttrs
			}
			if _, b, ok = sshString(b); !ok {
				return 0, nil, errShortAttrs
			}
		}
	}
	return start - len(b), b, nil
}

// suspect reports a suspect entry of the listing of dir that an operation
// leaves out without a Result of its own (ls, a glob): as a warning.
func (c *Client) suspect(dir, name, why string) {
	p, in := suspectPath(dir, name), dir
	if in == "" {
		in = "the login directory"
	}
	emit(c.opts.Events, Event{Kind: EventWarning, Remote: p,
		Message: why + " in the listing of " + in + ": \"" + name + "\" left out"})
}
