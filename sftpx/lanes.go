package sftpx

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
)

// How many SFTP sessions the files of a recursive put and get are spread
// over, on the one verified connection. OpenSSH's sftp-server (a process
// per session) answers requests one at a time, and the fsync of each
// uploaded file holds it for a disk flush: one session makes a tree of
// small files wait for its flushes one after the other. Several sessions
// are several server processes, whose flushes the file system commits
// together. Measured with 1,000 files on a loaded 2-core machine (sshd,
// ext4), put -r took 11.6-15.1 s over 1 session, 4.3-8.2 s over 2,
// 3.1 s over 4; get -r, which flushes nothing on the server, gained
// 0-15% from a second session and nothing from a third.
const (
	putLanes = 8
	getLanes = 4
)

// lanes returns the Clients a tree's files move over, in turn: c, and up
// to n-1 more sessions on c's connection, sharing its deadline and its
// upload budget. A server that refuses more sessions (MaxSessions)
// leaves fewer lanes, or c alone; so does a stream (DialStream), which
// carries one session only, and so does ProFTPD's mod_sftp, which serves
// the SFTP sessions of one connection wrongly when there are several: it
// keeps the part of an SFTP request it has not read yet in one buffer per
// process, not per channel (fxp.c's curr_pkt and curr_buf, 1.3.8). A
// request split over two SSH messages (a 32 KiB WRITE is 32,809 bytes,
// its packets at most 32,768; a short window splits any) with another
// session's data between the halves is read as garbage, and the server
// then waits for bytes that never come: put -r stalled until the
// deadline, 4 runs in 60. One session moves every file; mod_sftp
// answers one request at a time per connection anyway.
// release closes the extra sessions.
func (c *Client) lanes(ctx context.Context, n int) (pick func() *Client, release func()) {
	if c.conn == nil || isModSFTP(c.conn.ServerVersion()) {
		return func() *Client { return c }, func() {}
	}
	extra := make([]*Client, n-1)
	var wg sync.WaitGroup
	for i := range extra {
		wg.Go(func() {
			var ses *session
			err := c.do(ctx, func() error {
				var err error
				ses, err = startSession(c.conn.Client, c.g.Arm, c.opts.Events)
				return err
			})
			if err == nil {
				extra[i] = &Client{conn: c.conn, sftp: ses.client, ses: ses, g: c.g, Addr: c.Addr, HostKey: c.HostKey,
					opts: c.opts, started: c.started, inFlight: c.inFlight}
			}
		})
	}
	wg.Wait()
	ls := []*Client{c}
	for _, l := range extra {
		if l != nil {
			ls = append(ls, l)
		}
	}
	var next atomic.Uint32
	pick = func() *Client { return ls[int(next.Add(1))%len(ls)] }
	release = func() {
		for _, l := range ls[1:] {
			l.sftp.Close()
			l.ses.ssh.Close()
		}
	}
	return pick, release
}

// isModSFTP tells whether a server's SSH version line is ProFTPD's
// mod_sftp ("SSH-2.0-mod_sftp", with "/VERSION" unless ServerIdent is
// off), whose quirks this package works around.
func isModSFTP(serverVersion []byte) bool {
	return strings.HasPrefix(string(serverVersion), "SSH-2.0-mod_sftp")
}
