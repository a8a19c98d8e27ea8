package sftpx

import (
	"encoding/binary"
	"io"
)

// replyReader is the server's side of the SFTP stream, passed through
// unchanged, that calls arm whenever a whole SFTP packet (a reply) has
// come in. --timeout bounds a stall, not an operation: a listing of a
// large directory is many READDIR requests, a recursive removal many
// REMOVEs, and over a slow link all of them together may take far longer
// than one. Each reply that arrives is progress and pushes the deadline
// back; a server that answers nothing, or trickles bytes of one reply
// without ever finishing it, still meets the deadline.
type replyReader struct {
	r   io.Reader
	arm func()

	hdr  [4]byte // the length prefix of the packet being read
	nhdr int
	left uint32 // bytes of the packet still to come, after its prefix
}

func (p *replyReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.scan(b[:n]) {
		p.arm()
	}
	return n, err
}

// scan follows the packet framing through b and tells whether a packet
// ended in it.
func (p *replyReader) scan(b []byte) (ended bool) {
	for len(b) > 0 {
		if p.left == 0 {
			k := copy(p.hdr[p.nhdr:], b)
			p.nhdr += k
			b = b[k:]
			if p.nhdr < len(p.hdr) {
				return ended
			}
			p.nhdr = 0
			p.left = binary.BigEndian.Uint32(p.hdr[:])
			if p.left == 0 {
				ended = true
			}
			continue
		}
		k := uint32(min(uint64(p.left), uint64(len(b))))
		p.left -= k
		b = b[k:]
		if p.left == 0 {
			ended = true
		}
	}
	return ended
}
