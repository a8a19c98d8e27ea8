package sftpx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/pkg/sftp"
)

// A directory listing is as long as the server makes it: pkg/sftp's
// ReadDir asks for batch after batch until the server says EOF, and keeps
// every entry. A hostile server that never says EOF (or answers with
// empty batches forever) would grow the client's memory without end, and
// since every batch comes in time, no deadline would end it either. So
// nameFilter counts what each open directory has listed, and past the
// limits answers the next READDIR itself, in the server's place, with a
// status of a code of sshpin's own (cutEntries, cutBytes): pkg/sftp then
// stops and closes the directory, and readDir turns that status into a
// *ListingTooLongError.

const (
	// defaultMaxListEntries is more than any real directory a transfer
	// tool is pointed at (OpenSSH's server sends about 100 a batch), and
	// its entries fit in memory.
	defaultMaxListEntries = 1 << 20
	// defaultMaxListBytes bounds the NAME replies of one listing; at
	// OpenSSH's ~120 bytes an entry (name, long name, attributes) it is
	// twice the entry limit.
	defaultMaxListBytes = 256 << 20

	// cutEntries and cutBytes are the status codes nameFilter answers a
	// READDIR with once the listing passed a limit; no SFTP version
	// defines a code this high.
	cutEntries = 0x73700001
	cutBytes   = 0x73700002
)

// listed is what one open directory's READDIRs returned so far.
type listed struct{ entries, bytes int }

// count adds the NAME reply pkt (length prefix included) to the listing of
// handle, and returns the status code to answer with instead, when the
// listing passed a limit, else 0. A reply with no entry counts as one:
// empty batches without end are an endless listing too.
func (r *readdirIDs) count(handle string, pkt []byte) uint32 {
	n := 1
	if len(pkt) >= 13 {
		n = max(int(binary.BigEndian.Uint32(pkt[9:13])), 1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lists == nil {
		r.lists = map[string]*listed{}
	}
	l := r.lists[handle]
	if l == nil {
		l = &listed{}
		r.lists[handle] = l
	}
	// Saturating: a count field near 2^32 is a lie, not an overflow.
	l.entries = min(l.entries+n, 1<<40)
	l.bytes += len(pkt)
	maxEntries, maxBytes := r.limits()
	switch {
	case l.entries > maxEntries:
		return cutEntries
	case l.bytes > maxBytes:
		return cutBytes
	}
	return 0
}

func (r *readdirIDs) limits() (entries, bytes int) {
	entries, bytes = r.maxEntries, r.maxBytes
	if entries <= 0 {
		entries = defaultMaxListEntries
	}
	if bytes <= 0 {
		bytes = defaultMaxListBytes
	}
	return entries, bytes
}

// setLimits changes the limits of every listing from now on (tests, and
// embedders through Client.SetListingLimits).
func (r *readdirIDs) setLimits(entries, bytes int) {
	r.mu.Lock()
	r.maxEntries, r.maxBytes = entries, bytes
	r.mu.Unlock()
}

// cutPacket is the STATUS reply to the READDIR id that ends a listing
// past a limit.
func cutPacket(id, code uint32) []byte {
	body := binary.BigEndian.AppendUint32(nil, id)
	body = binary.BigEndian.AppendUint32(body, code)
	body = appendString(body, []byte("listing too long"))
	body = appendString(body, nil)
	return packet(fxpStatus, body)
}

// ListingTooLongError is a directory listing sshpin stopped reading: the
// server listed more entries (or more bytes of them) than Limit, as a
// server that lists without end does. Nothing of the listing was used.
type ListingTooLongError struct {
	Dir   string
	What  string // "entries" or "bytes"
	Limit int
}

func (e *ListingTooLongError) Error() string {
	return fmt.Sprintf("sftpx: the server listed more than %d %s in %s, more than sshpin reads of one directory: stopped (a server that lists without end?)", e.Limit, e.What, e.Dir)
}

// readDir is pkg/sftp's ReadDir of p, with a listing past the limits
// reported as a *ListingTooLongError.
func (c *Client) readDir(p string) ([]os.FileInfo, error) {
	infos, err := c.sftp.ReadDir(p)
	var se *sftp.StatusError
	if err != nil && errors.As(err, &se) && (se.Code == cutEntries || se.Code == cutBytes) && c.ses != nil && c.ses.readdirs != nil {
		entries, bytes := c.ses.readdirs.limits()
		if se.Code == cutEntries {
			return nil, &ListingTooLongError{Dir: p, What: "entries", Limit: entries}
		}
		return nil, &ListingTooLongError{Dir: p, What: "bytes", Limit: bytes}
	}
	return infos, err
}

// SetListingLimits bounds each directory listing of c to entries entries
// and bytes bytes of the server's replies (0 keeps a default: about a
// million entries, 256 MiB). A listing past either fails with a
// *ListingTooLongError.
func (c *Client) SetListingLimits(entries, bytes int) {
	if c.ses != nil && c.ses.readdirs != nil {
		c.ses.readdirs.setLimits(entries, bytes)
	}
}
