package sftpx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pkg/sftp"
	"golang.org/x/sync/errgroup"
)

// uploadInFlight is how many bytes an upload keeps moving at once, as
// writes and read-backs together: one worker per chunk of it, each of
// which writes its chunk, waits for the server's acknowledgement, then
// reads the chunk back and compares it. Requests of both kinds are in
// flight all the time, so the read-back rides the return direction of
// the link while the upload fills the outbound one.
//
// More is worse, not better. The channel windows hold at most 2 MiB each
// way (sshd's and x/crypto's defaults), so further requests only queue;
// and the read-back data queued in sshd's socket buffer delays the window
// adjustments the upload waits for, which travel behind it. Measured on
// an 800 Mbit/s link (bench/sftp.sh with LINK_MBPS=800, 512 MiB): 32
// chunks of 255 KiB in flight put at 81-87 MB/s, 12 at 88-89 MB/s, where
// OpenSSH's sftp put -f ran at 86-87 MB/s. Fewer than about 3 MiB would
// starve a link with a longer round trip, which needs two of them per
// chunk.
const uploadInFlight = 3 << 20

// uploadWorkers is how many chunks of size chunk make uploadInFlight:
// 12 of OpenSSH's 255 KiB, 64 (the most) of the 32 KiB every server takes.
func uploadWorkers(chunk int) int {
	return max(8, min(64, uploadInFlight/chunk))
}

// uploadBudget is how many chunks a Client's uploads hold at once, read
// and not yet written and read back (Client.inFlight): what one upload
// holds, its workers' chunks, those its reader queued ahead and the one
// it reads. One upload alone moves as it would without the budget; the
// files of a recursive put, moving at once, share it, so that together
// they keep no more bytes in flight, nor in memory, than one does.
func uploadBudget(chunk int) int {
	w := uploadWorkers(chunk)
	return w + uploadQueue(w) + 1
}

// uploadQueue is how many chunks an upload's reader queues ahead of its
// workers.
func uploadQueue(workers int) int { return workers / 4 }

// upload writes everything src yields to w, which is open for reading and
// writing, and proves every chunk by reading it back from the server and
// comparing it, byte for byte, with the bytes that were sent and hashed.
// It returns the SHA-256 of those bytes and their count; on error, n is
// what was acknowledged so far.
//
// Reading a chunk back right after the server acknowledged its write reads
// what the server holds for that range, as a read after the upload would:
// nothing writes to the temporary file but this upload, each range is
// written once, and the caller still checks the size after closing. A
// server that would not serve the read (readBack false), or that fails one
// (some stores serve a file only once it is closed), is verified after
// the upload instead, by the caller: verified says whether every chunk
// was. Bytes that differ, or fewer than acknowledged, fail at once.
//
// size is what src is expected to yield: a file of a few chunks gets no
// more workers than it has chunks (and one more, for a file that grew),
// which for a tree of small files is one goroutine each, not 13. A source
// that yields more is still uploaded whole, with fewer workers.
func (c *Client) upload(ctx context.Context, src io.Reader, w *sftp.File, size int64, readBack bool, progress func(written, verified int64)) (sum string, n int64, verifiedAll bool, err error) {
	chunk := c.ses.chunk
	workers := uploadWorkers(chunk)
	if size >= 0 && size/int64(chunk) < int64(workers) {
		workers = int(size/int64(chunk)) + 1
	}
	type job struct {
		off int64
		buf []byte
	}
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job, uploadQueue(workers))
	free := make(chan []byte, 2*workers)
	h := sha256.New()
	var read int64

	// A chunk holds a token of the Client's budget (uploadBudget) from
	// before it is read until it was written and read back, or dropped:
	// the uploads moving at once share the budget, and their buffers with
	// it.
	release := func() { <-c.inFlight }

	// One reader, in order: the digest is of the bytes in file order.
	g.Go(func() error {
		defer close(jobs)
		for {
			if gctx.Err() != nil {
				return gctx.Err() // cancelled: nothing more is sent
			}
			select {
			case c.inFlight <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			var buf []byte
			select {
			case buf = <-free:
			default:
				buf = getChunk(chunk)
			}
			k, err := io.ReadFull(src, buf[:chunk])
			if k > 0 {
				h.Write(buf[:k])
				select {
				case jobs <- job{read, buf[:k]}:
				case <-gctx.Done():
					release()
					return gctx.Err()
				}
				read += int64(k)
			} else {
				release()
			}
			switch {
			case err == io.EOF || err == io.ErrUnexpectedEOF:
				return nil
			case err != nil:
				return &localError{err}
			}
		}
	})

	var mu sync.Mutex // serialises progress, which owns the events
	var written, verified int64
	report := func(w, v int) {
		mu.Lock()
		written += int64(w)
		verified += int64(v)
		progress(written, verified)
		mu.Unlock()
	}
	var readFailed atomic.Bool
	for range workers {
		g.Go(func() error {
			var back []byte // taken on the first chunk: most files have one
			defer func() {
				if back != nil {
					putChunk(back)
				}
			}()
			send := func(j job) error {
				defer release()
				if gctx.Err() != nil {
					return nil // drain, so the reader is not left blocked
				}
				if _, err := w.WriteAt(j.buf, j.off); err != nil {
					return wrap(connectionLost(err), "upload failed at byte %d", j.off)
				}
				report(len(j.buf), 0)
				if readBack && !readFailed.Load() && gctx.Err() == nil {
					if back == nil {
						back = getChunk(chunk)
					}
					b := back[:len(j.buf)]
					k, err := w.ReadAt(b, j.off)
					switch {
					case errors.Is(err, io.EOF) && c.alive(gctx, w):
						// The server holds less than it acknowledged.
						return &VerifyError{What: "uploaded file", Differs: true, At: j.off + int64(k)}
					case err != nil && !c.refusedByServer(gctx, err):
						// The connection died, or the upload was
						// cancelled: that is the upload's failure, not
						// the server's way with reads.
						return wrap(connectionLost(err), "read-back failed at byte %d", j.off)
					case err != nil:
						if readFailed.CompareAndSwap(false, true) {
							mu.Lock()
							emit(c.opts.Events, Event{Kind: EventWarning, Message: fmt.Sprintf("the server did not serve a read of the file being uploaded (%s); it is read back after the upload instead", describe(err))})
							mu.Unlock()
						}
					case !bytes.Equal(b, j.buf):
						return &VerifyError{What: "uploaded file", Differs: true, At: j.off + int64(firstDiff(b, j.buf))}
					default:
						report(0, len(j.buf))
					}
				}
				return nil
			}
			for j := range jobs {
				if err := send(j); err != nil {
					return err
				}
				select {
				case free <- j.buf[:cap(j.buf)]:
				default:
					putChunk(j.buf)
				}
			}
			return nil
		})
	}
	err = g.Wait()
	// Chunks queued when every worker had failed still hold their tokens.
	for j := range jobs {
		release()
		putChunk(j.buf)
	}
	// Every request has returned: no buffer is the server's any more.
	for len(free) > 0 {
		putChunk(<-free)
	}
	if err != nil {
		return "", written, false, err
	}
	if err := ctx.Err(); err != nil {
		// Cancelled while the reader finished: workers skipped chunks.
		return "", written, false, err
	}
	return hex.EncodeToString(h.Sum(nil)), read, readBack && !readFailed.Load(), nil
}

// refusedByServer tells whether err, from a request on a live connection,
// is a status the server sent. A connection that died or was killed
// (cancellation, timeout), and a cancelled ctx, are not the server's
// answer. io.EOF is not either: see alive.
func (c *Client) refusedByServer(ctx context.Context, err error) bool {
	if ctx.Err() != nil || c.g.Failure() != nil {
		return false
	}
	var se *sftp.StatusError
	return errors.As(err, &se)
}

// alive tells whether the connection still serves requests, after a
// request on f ended with io.EOF: pkg/sftp returns that for the server's
// SSH_FX_EOF, and also for a request written to a connection that is
// gone. An fstat of f can only succeed on a live one.
func (c *Client) alive(ctx context.Context, f *sftp.File) bool {
	if ctx.Err() != nil || c.g.Failure() != nil {
		return false
	}
	// Any answer proves it, a refusal of FSTAT too.
	_, err := f.Stat()
	return err == nil || c.refusal(err)
}

// connectionLost names io.EOF from a write for what it is: no server
// answers a write with end of file, so the connection is gone. So is a
// request that could not be sent because the socket failed (the peer
// reset or closed it): pkg/sftp says "connection lost" to the requests it
// waits for once its reader sees the end, and one sent a moment before
// meets the socket's own error instead.
func connectionLost(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return sftp.ErrSSHFxConnectionLost
	}
	return err
}

// ctxWriter fails its writes once ctx is cancelled, so that a copy into
// it (pkg/sftp's WriteTo) stops sending requests.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// localError marks a failure to read the local side, so that it is not
// blamed on the server.
type localError struct{ err error }

func (e *localError) Error() string { return fmt.Sprintf("local file: %v", e.err) }
func (e *localError) Unwrap() error { return e.err }

// statvfsExtension is OpenSSH's statvfs of a path.
const statvfsExtension = "statvfs@openssh.com"

// noSpace turns err, a write into dir that the server failed with the
// catch-all SSH_FX_FAILURE (what OpenSSH answers ENOSPC with), into "no
// space left on the server" when the server says (statvfs@openssh.com)
// that dir has fewer than need bytes free. Best effort: without the
// extension, or when statvfs fails, err is returned as it is.
func (c *Client) noSpace(err error, dir string, need int64) error {
	var se *sftp.StatusError
	if !errors.As(err, &se) || se.FxCode() != sftp.ErrSSHFxFailure || c.g.Failure() != nil {
		return err
	}
	if _, ok := c.sftp.HasExtension(statvfsExtension); !ok {
		return err
	}
	st, serr := c.sftp.StatVFS(remotePath(dir))
	if serr != nil {
		return err
	}
	unit := st.Frsize
	if unit == 0 {
		unit = st.Bsize
	}
	free := st.Bavail * unit
	if need < 0 || free >= uint64(need) {
		return err
	}
	ns := &noSpaceError{Free: free, Dir: dir, err: se}
	var step *stepError
	if errors.As(err, &step) {
		return wrap(ns, "%s", step.step)
	}
	return ns
}

// noSpaceError is a write the server failed for want of space.
type noSpaceError struct {
	Free uint64 // bytes free in Dir, for the user
	Dir  string
	err  error // the server's status
}

func (e *noSpaceError) Error() string {
	return fmt.Sprintf("no space left on the server (%d bytes free in %s)", e.Free, e.Dir)
}

func (e *noSpaceError) Unwrap() error { return e.err }
