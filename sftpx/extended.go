package sftpx

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// pkg/sftp sends no extended request it does not know, and hides its
// handles: the requests this package needs beyond it (check-file) go over
// the same SFTP session, beside pkg/sftp's. They carry request ids with
// the top bit set (ownID), which pkg/sftp, counting up from 1, reaches
// only after 2^31 requests (512 TiB of 255 KiB writes); their replies are
// taken out of the stream before pkg/sftp reads it (demux), and the
// requests go through the packetWriter, which passes whole packets only,
// so that they never land inside one of pkg/sftp's.
const ownID = 1 << 31

// maxExtReply bounds a reply to one of our own requests: a check-file
// reply is a name and one digest.
const maxExtReply = 64 << 10

// extReply is the server's answer to one of our own requests.
type extReply struct {
	typ  byte   // fxpStatus or fxpExtendedReply
	body []byte // after the request id
	err  error  // the stream ended first
}

// demux is the server's SFTP stream as pkg/sftp reads it, less the
// replies to our own requests, which it hands to their waiters. Only
// pkg/sftp's one reader goroutine calls Read. A packet is passed on as it
// comes: its header from hdr, its body straight from the stream into
// pkg/sftp's buffer, with no copy.
type demux struct {
	r    io.Reader
	hdr  [9]byte // length, type, request id
	pend []byte  // the part of hdr pkg/sftp has not read yet
	left int64   // the bytes of the current packet's body still to pass on

	mu      sync.Mutex
	waiting map[uint32]chan extReply
	err     error // the stream's end; nil while it is open
}

func newDemux(r io.Reader) *demux {
	return &demux{r: r, waiting: map[uint32]chan extReply{}}
}

func (d *demux) Read(p []byte) (int, error) {
	for {
		if len(d.pend) > 0 {
			n := copy(p, d.pend)
			d.pend = d.pend[n:]
			return n, nil
		}
		if d.left > 0 {
			n, err := d.r.Read(p[:min(int64(len(p)), d.left)])
			d.left -= int64(n)
			if err != nil {
				d.fail(err)
			}
			return n, err
		}
		if _, err := io.ReadFull(d.r, d.hdr[:4]); err != nil {
			d.fail(err)
			return 0, err
		}
		n := int64(binary.BigEndian.Uint32(d.hdr[:4]))
		if n < 5 {
			// No reply is this short: pkg/sftp judges it.
			d.pend, d.left = d.hdr[:4], n
			continue
		}
		if _, err := io.ReadFull(d.r, d.hdr[4:9]); err != nil {
			d.fail(err)
			return 0, io.ErrUnexpectedEOF
		}
		typ, id := d.hdr[4], binary.BigEndian.Uint32(d.hdr[5:9])
		ch := d.take(id)
		if ch == nil || (typ != fxpStatus && typ != fxpExtendedReply) {
			if ch != nil {
				ch <- extReply{err: fmt.Errorf("the server answered an extended request with packet type %d", typ)}
			}
			d.pend, d.left = d.hdr[:9], n-5
			continue
		}
		if n-5 > maxExtReply {
			err := fmt.Errorf("the server's reply to an extended request is %d bytes", n)
			ch <- extReply{err: err}
			d.fail(err)
			return 0, err
		}
		body := make([]byte, n-5)
		if _, err := io.ReadFull(d.r, body); err != nil {
			ch <- extReply{err: err}
			d.fail(err)
			return 0, io.ErrUnexpectedEOF
		}
		ch <- extReply{typ: typ, body: body}
	}
}

// take removes and returns the waiter for id, nil if there is none (a
// reply for pkg/sftp).
func (d *demux) take(id uint32) chan extReply {
	if id&ownID == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ch := d.waiting[id]
	delete(d.waiting, id)
	return ch
}

// wait registers a waiter for the reply to id; the channel has room for
// the one reply, so that the reader never blocks on it.
func (d *demux) wait(id uint32) (chan extReply, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	ch := make(chan extReply, 1)
	d.waiting[id] = ch
	return ch, nil
}

func (d *demux) forget(id uint32) {
	d.mu.Lock()
	delete(d.waiting, id)
	d.mu.Unlock()
}

// fail ends every wait: the stream is gone.
func (d *demux) fail(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
	for id, ch := range d.waiting {
		ch <- extReply{err: err}
		delete(d.waiting, id)
	}
}

// extended sends the extended request name with body (what follows the
// name) over the session and waits for its reply, until ctx is done or
// limit passes; it never waits longer. An answer that does not come in
// time leaves the session as it is: the caller decides whether the
// connection is to be killed.
func (s *session) extended(ctx context.Context, name string, body []byte, limit <-chan struct{}) (extReply, error) {
	id := ownID | (s.nextID.Add(1) &^ ownID)
	ch, err := s.demux.wait(id)
	if err != nil {
		return extReply{}, err
	}
	req := binary.BigEndian.AppendUint32(nil, id)
	req = appendString(req, []byte(name))
	req = append(req, body...)
	if err := s.writer.inject(packet(fxpExtended, req)); err != nil {
		s.demux.forget(id)
		return extReply{}, err
	}
	select {
	case r := <-ch:
		return r, r.err
	case <-ctx.Done():
		s.demux.forget(id)
		return extReply{}, ctx.Err()
	case <-limit:
		s.demux.forget(id)
		return extReply{}, errExtTimeout
	}
}

var errExtTimeout = errors.New("no answer in time")

// ownIDs counts our own requests; see ownID.
type ownIDs = atomic.Uint32
