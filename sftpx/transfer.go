package sftpx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/atomicfile"
)

// Result is the outcome of one file's transfer.
type Result struct {
	Op       string // "get", "put" or "cp"
	Remote   string // the remote path (for cp, the destination's)
	Local    string // the local path (for cp, the source's remote path)
	Bytes    int64  // bytes transferred (so far, on failure)
	Duration time.Duration
	// SHA256 is the hex SHA-256 of the file as verified: for put, of the
	// bytes read locally and read back from the server; for get, of the
	// bytes written. "" on failure.
	SHA256 string
	// Proof is what proved the file: ProofSize, ProofServerHash or
	// ProofReadBack. "" on failure and on a skip.
	Proof string
	// NotAtomic: the upload replaced an existing file by moving it aside
	// first (the server lacks posix-rename@openssh.com), so that for a
	// moment Remote did not exist.
	NotAtomic bool
	// Skipped: the file was left out on purpose (a link to a directory,
	// which a recursive copy does not follow; a FIFO, socket or device),
	// and Reason says why. A skip is not a failure: Err is nil.
	Skipped bool
	Reason  string
	Err     error // a *TransferError; nil on success and on a skip

	// replaceErr is the replace that failed, kept past Client.do, which
	// puts the deadline or the interruption in its place (withReplace).
	replaceErr *ReplaceError
}

// beforeLocalOpen lets a test swap the file between putFile's type check
// and its open; it does nothing otherwise.
var beforeLocalOpen = func(path string) {}

// TransferOptions say how Put, Get and Copy treat directories.
type TransferOptions struct {
	Recursive bool // copy directories and everything under them
	// Verify proves every file by its bytes on any server: an upload is
	// read back from the server, a download hashed by the server or read
	// a second time (ProofReadBack, or ProofServerHash for a download).
	// Without it a file gets the server's hash where the server offers
	// check-file, and its size otherwise.
	Verify bool
	// Preserve gives each copy its source's modification and access
	// times and permission bits, as OpenSSH's sftp put -p and get -p do.
	Preserve bool
}

// options is the one TransferOptions of a variadic argument, or none.
func options(o []TransferOptions) TransferOptions {
	if len(o) > 0 {
		return o[0]
	}
	return TransferOptions{}
}

// posixRename is OpenSSH's extension whose rename replaces an existing
// file atomically; SFTPv3's own rename fails when the target exists.
const posixRename = "posix-rename@openssh.com"

// fsyncExtension is OpenSSH's fsync of an open handle.
const fsyncExtension = "fsync@openssh.com"

// Put uploads the local file or (with Recursive) directory local to
// remote, calling each with every file's Result, from the calling
// goroutine and in the order the walk meets the files, though they move
// several at once (treeFiles). Like scp and sftp, when remote is an
// existing directory the copy goes inside it under local's name;
// otherwise remote names the copy itself. "" and "." name the login
// directory.
func (c *Client) Put(ctx context.Context, local, remote string, o TransferOptions, each func(Result)) {
	fail := func(err error) { each(failed("put", remote, local, err)) }
	st, err := os.Stat(local)
	if err != nil {
		fail(fmt.Errorf("local file: %w", err))
		return
	}
	if st.IsDir() && !o.Recursive {
		fail(fmt.Errorf("local file %w", ErrIsDir))
		return
	}
	dst, err := c.remoteTarget(ctx, remote, func() (string, error) { return filepath.Base(filepath.Clean(local)), nil })
	if err != nil {
		fail(err)
		return
	}
	if st.IsDir() {
		c.putTree(ctx, local, dst, o, each)
		return
	}
	each(c.PutFile(ctx, local, dst, o))
}

// remoteTarget is where a copy goes on c's server, as scp and sftp place
// it: inside remote, under the name name gives, when remote is an
// existing directory; else at remote itself. A remote that names a
// directory ("" or a trailing /) must exist.
func (c *Client) remoteTarget(ctx context.Context, remote string, name func() (string, error)) (string, error) {
	st, err := c.Stat(ctx, remote)
	switch {
	case err == nil && st.IsDir():
		n, err := name()
		if err != nil {
			return "", err
		}
		return path.Join(remote, n), nil
	case err == nil:
	case errors.Is(err, ErrTimeout) || errors.Is(err, context.Canceled):
		return "", err
	case remote == "" || strings.HasSuffix(remote, "/"):
		return "", fmt.Errorf("no such directory: %w", err)
	}
	return remote, nil
}

// putTree uploads the local directory local to remote: the walk goes in
// order, and the files move up to treeFiles at once (fanout), their
// Results handed to each in the walk's order.
func (c *Client) putTree(ctx context.Context, local, remote string, o TransferOptions, each func(Result)) {
	f := newFanout(ctx, each)
	var dirs dirTimes
	lane, release := c.lanes(ctx, putLanes)
	defer release()
	c.putDir(ctx, local, remote, o, f, &dirs, lane)
	f.wait()
	dirs.apply(func(d dirAttrs) error { return c.setRemoteAttrs(ctx, d) })
}

func (c *Client) putDir(ctx context.Context, local, remote string, o TransferOptions, f *fanout, dirs *dirTimes, lane func() *Client) {
	if ctx.Err() != nil {
		return
	}
	made, err := c.mkdirExisting(ctx, remote)
	if err != nil {
		f.result(failed("put", remote, local, err))
		return
	}
	if o.Preserve {
		if st, err := os.Stat(local); err == nil {
			dirs.add(remote, st.Mode().Perm(), localTimes(st))
		}
	}
	entries, err := os.ReadDir(local)
	if err != nil {
		f.result(failed("put", remote, local, fmt.Errorf("local directory: %w", err)))
		return
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return
		}
		l, r := filepath.Join(local, e.Name()), path.Join(remote, e.Name())
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			// A link to a file is copied as the file, as scp does; a link to
			// a directory is not followed, since it can loop.
			st, err := os.Stat(l)
			if err != nil {
				f.result(failed("put", r, l, fmt.Errorf("local file: %w", err)))
				continue
			}
			if st.IsDir() {
				f.result(skipped("put", r, l, skipDirLink))
				continue
			}
			typ = st.Mode().Type()
		}
		switch {
		case typ.IsDir():
			c.putDir(ctx, l, r, o, f, dirs, lane)
		case typ.IsRegular():
			lc := lane()
			f.run(func() Result { return lc.putOne(ctx, l, r, o, made) })
		default:
			f.result(skipped("put", r, l, skipNotRegular))
		}
	}
}

// mkdirExisting makes dir, or accepts it if it is a directory already;
// made says it was made, and so is empty but for what this run puts in it.
func (c *Client) mkdirExisting(ctx context.Context, dir string) (made bool, err error) {
	err = c.do(ctx, func() error {
		err := c.sftp.Mkdir(dir)
		if err == nil {
			made = true
			return nil
		}
		if st, serr := c.sftp.Stat(dir); serr == nil {
			if st.IsDir() {
				return nil
			}
			return errors.New("exists and is not a directory")
		}
		return wrap(err, "cannot create the directory")
	})
	return made, err
}

// PutFile uploads the regular file local to exactly remote: into a
// temporary file beside it, proved (Result.Proof; with Verify, by reading
// it back), then renamed over remote. o is at most one TransferOptions;
// its Recursive does not apply.
func (c *Client) PutFile(ctx context.Context, local, remote string, o ...TransferOptions) Result {
	return c.putOne(ctx, local, remote, options(o), false)
}

// putOne is PutFile; inNewDir says remote's directory was made by this
// transfer (see upSource.inNewDir).
func (c *Client) putOne(ctx context.Context, local, remote string, o TransferOptions, inNewDir bool) Result {
	r := Result{Op: "put", Remote: remote, Local: local}
	start := time.Now()
	err := withReplace(c.putFile(ctx, local, remote, o, inNewDir, &r), r.replaceErr)
	r.Duration = time.Since(start)
	if err != nil {
		r.SHA256, r.Proof, r.Err = "", "", &TransferError{Op: "put", Remote: remote, Local: local, Err: err}
	}
	return r
}

func (c *Client) putFile(ctx context.Context, local, dst string, o TransferOptions, inNewDir bool, r *Result) error {
	// The type is checked before the open: opening a FIFO for reading
	// waits for a writer, for ever and deaf to signals, and a device may
	// do anything.
	if st, err := os.Stat(local); err != nil {
		return fmt.Errorf("local file: %w", err)
	} else if !st.Mode().IsRegular() {
		return errors.New("local file is not a regular file")
	}
	beforeLocalOpen(local)
	f, err := openLocal(local)
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	// Again on what was opened: a FIFO swapped in since the check.
	if !st.Mode().IsRegular() {
		return errors.New("local file is not a regular file")
	}
	if err := blocking(f); err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	return c.do(ctx, func() error {
		src := upSource{r: f, size: st.Size(), mode: st.Mode().Perm(), name: local, what: "local file", inNewDir: inNewDir}
		if o.Preserve {
			src.times = localTimes(st)
		}
		return c.place(ctx, src, dst, o, r)
	})
}

// upSource is what an upload reads: a local file, or a file on another
// server for cp.
type upSource struct {
	r    io.Reader
	size int64
	mode fs.FileMode
	name string // for events: the local path, or the source's remote name
	what string // "local file" or "source file", for errors
	// times, when set (TransferOptions.Preserve), are given to the copy.
	times *fileTimes
	// check, when set, proves the bytes read against the source's own
	// hash of them (cp from a server that offers check-file), before the
	// copy is renamed into place.
	check func(sum string) error
	// inNewDir: the destination's directory was made by this transfer
	// (put -r), so dst does not exist yet and no earlier upload left a
	// temporary file beside it. The LSTAT of dst and the listing for
	// leftovers are skipped: two of a small file's nine requests, which
	// are the cost of a tree of small files. Should another client put
	// a file or a link at dst meanwhile, the rename replaces it, as it
	// replaces any file that appears after the LSTAT.
	inNewDir bool
}

// place uploads src to exactly dst: into a temporary file beside it
// (with o.Verify, each chunk read back and compared as it goes), synced,
// its size checked, proved (proveUpload), and renamed over dst. It runs
// inside c.do.
//
// Cancelled (ctx), it stops sending, lets the requests in flight finish,
// and removes the temporary file before it returns: c.do keeps the
// connection alive that long (guard.stopsOnCancel), within bounds.
func (c *Client) place(ctx context.Context, src upSource, dst string, o TransferOptions, r *Result) error {
	defer c.g.StopsOnCancel()()
	local := src.name
	// A symbolic link at dst is followed, as internal/atomicfile does
	// locally: the rename replaces its target and the link stays.
	var old fs.FileInfo
	err := error(fs.ErrNotExist)
	if !src.inNewDir {
		old, err = c.lstat(dst)
	}
	if err == nil && old.Mode()&fs.ModeSymlink != 0 {
		if real, rerr := c.sftp.RealPath(dst); rerr == nil {
			dst = real
		} else if c.refusal(rerr) {
			c.warnOnce("realpath", fmt.Sprintf("the server refused to resolve the link %s (REALPATH: %s): the link is replaced by the upload, and the file it points to stays as it was", dst, describe(rerr)))
		}
		old, err = c.sftp.Stat(dst)
	}
	// Replacing a file keeps its mode, as sftp's put (which truncates
	// it in place) does; a new file gets the source's.
	mode := src.mode
	if err == nil {
		if old.IsDir() {
			return errors.New("is a directory")
		}
		if !o.Preserve {
			mode = old.Mode().Perm()
		}
	}
	// To be verified, opened for reading too, so that every chunk is
	// read back as soon as the server acknowledged it. Servers that will
	// not open a new file that way, or open it and then do not serve
	// reads on it, get a write-only one, read back after the upload.
	if err := ctx.Err(); err != nil {
		return err
	}
	// The final mode, when it is fit for a file being written
	// (earlyMode), is the temporary file's from the start, which saves
	// setting it again at the end; else the file is private until then.
	early := earlyMode(mode)
	tempMode := fs.FileMode(0o600)
	if early {
		tempMode = mode
	}
	tmp := remoteTemp(dst)
	readBack := o.Verify
	var w *sftp.File
	err = nil
	if readBack {
		w, err = c.openTemp(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, tempMode)
		if err == nil && !c.readableIn(path.Dir(dst), w) {
			w.Close()
			c.sftp.Remove(tmp)
			w, err = nil, errors.New("the server does not serve reads on a file open for writing")
		}
	}
	if w == nil && !errors.Is(err, fs.ErrNotExist) {
		tmp, readBack = remoteTemp(dst), false
		w, err = c.openTemp(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, tempMode)
	}
	if err != nil {
		return wrap(err, "cannot create a temporary file in %s", path.Dir(dst))
	}
	placed := false
	defer func() {
		if !placed {
			// Best effort: on a dead connection the temporary file
			// stays behind, under a name no one mistakes for dst.
			c.sftp.Remove(tmp)
		}
	}()
	// The OPEN asked for tempMode (openModes). Where the server may not
	// have honoured it, the file gets it while it is still empty: the
	// server's default mode may let others read what is being uploaded.
	var modeSet bool // the file has its final mode
	if got, ok := c.createdAs(w, path.Dir(tmp), tempMode); ok && got&^tempMode == 0 {
		modeSet = early && got == mode
	} else {
		set, err := c.restrictTemp(w, tmp, tempMode)
		if err != nil {
			w.Close()
			return err
		}
		modeSet = set && early
	}
	if !src.inNewDir {
		c.removeLeftovers(tmp, dst)
	}
	ev := Event{Kind: EventProgress, Op: "put", Remote: dst, Local: local, Total: src.size}
	sum, n, verifiedAll, err := c.upload(ctx, src.r, w, src.size, readBack, func(written, verified int64) {
		c.g.Arm()
		ev.Bytes, ev.Verified = written, verified
		emit(c.opts.Events, ev)
	})
	r.Bytes = n
	if err != nil {
		w.Close()
		var le *localError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &le):
			return fmt.Errorf("%s: %w", src.what, le.err)
		}
		return c.noSpace(err, path.Dir(dst), src.size-n)
	}
	if n != src.size {
		w.Close()
		return fmt.Errorf("%s changed while it was read (%d bytes, now %d)", src.what, src.size, n)
	}
	if err := ctx.Err(); err != nil {
		w.Close()
		return err
	}
	// fsync@openssh.com, where the server has it: the rename must not
	// reach the disk before the data. The final mode (and with Preserve
	// the times) is set at the same time, one round trip for all: a put
	// of many small files is made of round trips.
	var syncErr, modeErr, timesErr error
	var wg sync.WaitGroup
	if _, ok := c.sftp.HasExtension(fsyncExtension); ok {
		wg.Go(func() { syncErr = w.Sync() })
	}
	if !modeSet {
		wg.Go(func() { modeErr = c.sftp.Chmod(tmp, mode) })
	}
	if src.times != nil {
		wg.Go(func() { timesErr = c.sftp.Chtimes(tmp, src.times.atime, src.times.mtime) })
	}
	wg.Wait()
	if syncErr != nil && !c.syncRefused(syncErr, dst) {
		w.Close()
		return c.noSpace(wrap(syncErr, "cannot sync the uploaded file"), path.Dir(dst), int64(c.ses.chunk))
	}
	wantMode := mode // what the server said it set, for checkMode
	if modeErr != nil {
		wantMode = 0
		if err := c.setModeRefused(w, dst, mode, modeErr); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return c.noSpace(wrap(err, "upload failed at close"), path.Dir(dst), int64(c.ses.chunk))
	}
	if timesErr != nil {
		c.timesRefused(dst, timesErr)
	}
	// The source's server hashes its file while this one hashes the copy.
	var checkErr error
	var checked sync.WaitGroup
	if src.check != nil {
		checked.Go(func() { checkErr = src.check(sum) })
	}
	proof, err := c.proveUpload(ctx, tmp, dst, local, n, sum, o.Verify, verifiedAll, wantMode)
	checked.Wait()
	if err != nil {
		return err
	}
	if checkErr != nil {
		return checkErr
	}
	if err := ctx.Err(); err != nil {
		return err // not renamed: the temporary file is removed
	}
	rp, err := c.replace(tmp, dst)
	if err != nil {
		var re *ReplaceError
		if !errors.As(err, &re) {
			return wrap(err, "cannot rename into place")
		}
		// The old file is safe (where re says); the new one goes unless
		// it is the only copy of anything, which it is when dst is gone.
		placed, r.replaceErr = true, re
		if re.Step != StepRestore && c.sftp.Remove(tmp) == nil {
			re.Temp = ""
		}
		return re
	}
	placed = true
	r.SHA256, r.NotAtomic, r.Proof = sum, rp.notAtomic, proof
	if rp.notAtomic {
		msg := "the server lacks " + posixRename + ": the old file was moved aside to " + rp.backup + " while the new one was renamed into place"
		if !rp.kept {
			msg += ", then removed"
		}
		emit(c.opts.Events, Event{Kind: EventNotAtomic, Op: "put", Remote: dst, Local: local, Message: msg})
	}
	if rp.kept {
		emit(c.opts.Events, Event{Kind: EventWarning, Op: "put", Remote: dst, Local: local,
			Message: fmt.Sprintf("%s holds the new file, but the server refused to remove the old one's backup (%s): it stays at %s", dst, describe(rp.keptErr), rp.backup)})
	}
	return nil
}

// removeLeftovers removes what interrupted uploads to dst left behind:
// files named as this package names dst's temporary files, other than
// tmp, and older than this Client (by the server's clock: tmp was just
// created, so its mtime is the server's now). A younger one may be another
// run's upload in progress, and is left alone; so is everything with
// another name. The directory is listed once per Client; a server that
// will not list it just keeps its leftovers.
func (c *Client) removeLeftovers(tmp, dst string) {
	dir, prefix := path.Dir(dst), "."+path.Base(dst)+tempInfix
	c.leftMu.Lock()
	defer c.leftMu.Unlock()
	if c.leftovers == nil {
		c.leftovers = map[string][]fs.FileInfo{}
	}
	infos, listed := c.leftovers[dir]
	if !listed {
		all, err := c.readDir(dir)
		if err != nil {
			c.leftovers[dir] = nil
			return
		}
		for _, fi := range all {
			if isTempName(fi.Name()) && fi.Mode().IsRegular() {
				infos = append(infos, fi)
			}
		}
		c.leftovers[dir] = infos
	}
	if len(infos) == 0 {
		return
	}
	st, err := c.sftp.Stat(tmp)
	if err != nil {
		return
	}
	// SFTP times have whole seconds: a margin of two keeps a file made in
	// the second the run started.
	cutoff := st.ModTime().Add(-time.Since(c.started) - 2*time.Second)
	kept := infos[:0]
	for _, fi := range infos {
		p := path.Join(dir, fi.Name())
		if strings.HasPrefix(fi.Name(), prefix) && p != tmp && fi.ModTime().Before(cutoff) {
			if err := c.sftp.Remove(p); err == nil {
				emit(c.opts.Events, Event{Kind: EventLeftover, Op: "put", Remote: p,
					Message: fmt.Sprintf("removed %s, left by an upload to %s interrupted at %s", p, dst, fi.ModTime().UTC().Format(time.RFC3339))})
				continue
			}
		}
		kept = append(kept, fi)
	}
	c.leftovers[dir] = kept
}

// tempInfix is what remoteTemp puts between ".NAME" and 16 hex digits.
const tempInfix = ".sshpin-tmp-"

func isTempName(name string) bool {
	i := strings.LastIndex(name, tempInfix)
	if i < 1 || name[0] != '.' {
		return false
	}
	hexPart := name[i+len(tempInfix):]
	if len(hexPart) != 16 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

// readableIn is readable, asked once per directory of a Client: whether a
// server serves reads on a file being written is a property of the store
// behind a directory (one server may put different stores behind
// different directories), and the probe costs a round trip per file.
func (c *Client) readableIn(dir string, w *sftp.File) bool {
	c.leftMu.Lock()
	ok := c.readableDirs[dir]
	c.leftMu.Unlock()
	if ok {
		return true
	}
	if !readable(w) {
		return false
	}
	c.leftMu.Lock()
	if c.readableDirs == nil {
		c.readableDirs = map[string]bool{}
	}
	c.readableDirs[dir] = true
	c.leftMu.Unlock()
	return true
}

// readable tells whether the new, empty file w, open for reading and
// writing, serves reads: the answer must be end of file. Servers built on
// pkg/sftp's request server accept such an open with a write-only handler
// and then answer a read with OK, having written the read's length of
// zeros into the file: that file is only fit for removal.
func readable(w *sftp.File) bool {
	var b [1]byte
	n, err := w.ReadAt(b[:], 0)
	return n == 0 && errors.Is(err, io.EOF)
}

// proveUpload checks the closed upload's size, then proves its bytes:
// with verify, by the chunks read back during the upload (verifiedAll)
// or else by reading the whole file back and comparing its SHA-256;
// without, by the server's SHA-256 of it where the server offers
// check-file. pkg/sftp's return values are not proof (pkg/sftp#658
// returns short transfers with a nil error), what the server holds is.
// It returns the proof the file got.
//
// A cancelled ctx stops the read-back. mode, when not 0, is the mode the
// server said it set (checkMode).
func (c *Client) proveUpload(ctx context.Context, tmp, dst, local string, n int64, sum string, verify, verifiedAll bool, mode fs.FileMode) (string, error) {
	st, err := c.sftp.Stat(tmp)
	if err != nil {
		return "", wrap(err, "cannot stat the uploaded file")
	}
	c.checkMode(st, dst, mode)
	if st.Size() != n {
		return "", &VerifyError{What: "uploaded file", WantBytes: n, GotBytes: st.Size()}
	}
	switch {
	case verify && verifiedAll:
		return ProofReadBack, nil // every chunk was read back during the upload
	case verify:
		return ProofReadBack, c.readBack(ctx, tmp, dst, local, n, sum)
	}
	got, ok, err := c.serverSHA256(ctx, tmp, n)
	switch {
	case err != nil:
		return "", wrap(err, "cannot have the server hash the uploaded file")
	case !ok:
		return ProofSize, nil
	case got != sum:
		return "", &VerifyError{What: "uploaded file", WantBytes: n, GotBytes: n, WantSHA256: sum, GotSHA256: got, Server: true}
	}
	return ProofServerHash, nil
}

// readBack reads the whole uploaded file tmp back and compares its size
// and SHA-256 with n and sum.
func (c *Client) readBack(ctx context.Context, tmp, dst, local string, n int64, sum string) error {
	rf, err := c.sftp.Open(tmp)
	if err != nil {
		return wrap(err, "cannot read the uploaded file back")
	}
	defer rf.Close()
	h := sha256.New()
	pw := &progressWriter{w: ctxWriter{ctx, h}, c: c, ev: Event{Kind: EventProgress, Op: "put", Remote: dst, Local: local, Total: n, Verify: true}}
	if _, err := rf.WriteTo(pw); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return wrap(err, "cannot read the uploaded file back")
	}
	got := hex.EncodeToString(h.Sum(nil))
	if pw.n != n || got != sum {
		return &VerifyError{What: "uploaded file", WantBytes: n, GotBytes: pw.n, WantSHA256: sum, GotSHA256: got}
	}
	return nil
}

func unsupported(err error) bool {
	var se *sftp.StatusError
	return errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxOpUnsupported
}

// remoteTemp names the temporary file of an upload to dst the way
// internal/atomicfile names local ones (TempPrefix), in dst's directory, so
// that a rename is all it takes and a leftover is recognisable.
func remoteTemp(dst string) string {
	var b [8]byte
	rand.Read(b[:])
	return path.Join(path.Dir(dst), "."+path.Base(dst)+tempInfix+hex.EncodeToString(b[:]))
}

// Get downloads the remote file or (with Recursive) directory remote to
// local, calling each with every file's Result, as Put does. When local is
// an existing directory the copy goes inside it under remote's name.
func (c *Client) Get(ctx context.Context, remote, local string, o TransferOptions, each func(Result)) {
	fail := func(err error) { each(failed("get", remote, local, err)) }
	st, err := c.Stat(ctx, remote)
	if err != nil {
		fail(err)
		return
	}
	if st.IsDir() && !o.Recursive {
		fail(ErrIsDir)
		return
	}
	dst := local
	lst, err := os.Stat(local)
	switch {
	case err == nil && lst.IsDir():
		name, err := c.baseName(ctx, remote)
		if err != nil {
			fail(err)
			return
		}
		dst = filepath.Join(local, name)
	case err == nil:
	case strings.HasSuffix(local, string(filepath.Separator)):
		fail(fmt.Errorf("local directory: %w", err))
		return
	}
	if st.IsDir() {
		c.getTree(ctx, remote, dst, o, each)
		return
	}
	each(c.GetFile(ctx, remote, dst, o))
}

// baseName is the name a copy of remote gets inside a directory.
// The login directory ("", ".") is named by what the server resolves it to.
func (c *Client) baseName(ctx context.Context, remote string) (string, error) {
	p := path.Clean("/" + remote)
	if p == "/" && !strings.HasPrefix(remote, "/") {
		err := c.do(ctx, func() error {
			var err error
			p, err = c.sftp.RealPath(".")
			return err
		})
		if err != nil {
			return "", err
		}
	}
	name := path.Base(p)
	if name == "/" || name == "." || name == ".." {
		return "", errors.New("cannot name a copy of the root directory: name the destination directory itself")
	}
	return name, nil
}

func (c *Client) getTree(ctx context.Context, remote, local string, o TransferOptions, each func(Result)) {
	t := &remoteTree{
		op:     "get",
		listed: "directory",
		mkdir: func(local string) error {
			err := os.Mkdir(local, 0o755)
			if err == nil {
				return nil
			}
			if st, serr := os.Stat(local); serr == nil && st.IsDir() {
				return nil
			}
			return fmt.Errorf("local directory: %w", err)
		},
		join: func(dir, name string) string { return filepath.Join(dir, name) },
	}
	lane, release := c.lanes(ctx, getLanes)
	defer release()
	// Each directory is synced once, when the walk is done, not after
	// every file renamed into it (atomicfile.Batch).
	var batch atomicfile.Batch
	t.file = func(remote, local string, listed fs.FileInfo) Result {
		return lane().getOne(ctx, remote, local, o, &treeFile{batch: &batch, listed: listed})
	}
	if o.Preserve {
		t.setDir = setLocalAttrs
	}
	c.walkRemote(ctx, t, remote, local, each)
	if err := batch.Sync(); err != nil {
		each(failed("get", remote, local, fmt.Errorf("local directory: %w", err)))
	}
}

// treeFile is what get -r's walk tells the download of one of its files.
type treeFile struct {
	// batch holds the syncs of the directories the files are renamed
	// into, for the walk to make when it is done.
	batch *atomicfile.Batch
	// listed is the file as its directory's listing gave it, when that
	// said a regular file (not a link): the STAT that would check the
	// type before the open is then skipped, one request of a small
	// file's six. The FSTAT of the open handle still checks it.
	listed fs.FileInfo
}

// remoteTree is what a recursive copy of a remote directory does with what
// the walk finds there: get makes the copy locally, cp on another server.
// One walker for both keeps their rules the same: the server's names
// checked, links to directories not followed, every file its own Result.
type remoteTree struct {
	op     string                        // "get" or "cp"
	listed string                        // the walked directory, in errors: "directory", "source directory"
	mkdir  func(dst string) error        // makes a directory of the copy; an existing one will do
	join   func(dir, name string) string // names an entry inside a directory of the copy
	// file copies one regular file; listed is its entry in the listing
	// when that said a regular file, nil for a link to one.
	file func(src, dst string, listed fs.FileInfo) Result
	// setDir, when set (Preserve), gives a directory of the copy its
	// source's mode and times, once everything under it is copied.
	setDir func(dirAttrs) error
}

func (t *remoteTree) failed(src, dst string, err error) Result {
	if t.op == "cp" {
		return failed(t.op, dst, src, err) // cp's Remote is its destination
	}
	return failed(t.op, src, dst, err)
}

func (t *remoteTree) skipped(src, dst, reason string) Result {
	if t.op == "cp" {
		return skipped(t.op, dst, src, reason)
	}
	return skipped(t.op, src, dst, reason)
}

// walkRemote copies c's directory src to dst with t, depth first, each
// directory in name order (byte order). What cannot be copied is a failed Result, and
// the walk goes on. The files move up to treeFiles at once (fanout); each
// gets their Results in the walk's order.
func (c *Client) walkRemote(ctx context.Context, t *remoteTree, src, dst string, each func(Result)) {
	f := newFanout(ctx, each)
	var dirs dirTimes
	c.walkRemoteDir(ctx, t, src, dst, f, &dirs)
	f.wait()
	if t.setDir != nil {
		dirs.apply(t.setDir)
	}
}

func (c *Client) walkRemoteDir(ctx context.Context, t *remoteTree, src, dst string, f *fanout, dirs *dirTimes) {
	if ctx.Err() != nil {
		return
	}
	if err := t.mkdir(dst); err != nil {
		f.result(t.failed(src, dst, err))
		return
	}
	if t.setDir != nil {
		if st, err := c.Stat(ctx, src); err == nil {
			dirs.add(dst, st.Mode().Perm(), remoteTimes(st))
		}
	}
	var entries []fs.FileInfo
	err := c.do(ctx, func() error {
		var err error
		entries, err = c.readDir(remotePath(src))
		return err
	})
	if err != nil {
		f.result(t.failed(src, dst, wrap(err, "cannot list the %s", t.listed)))
		return
	}
	// In name order, whatever order the server lists in: a recursive
	// copy's results come in one documented order, as put's (whose
	// os.ReadDir sorts) do.
	slices.SortFunc(entries, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		if ctx.Err() != nil {
			return
		}
		// The server names the files; a name that is not a single path
		// element would write outside dst (the scp CVE-2019-6111 class).
		name, why := listedName(e.Name())
		if why != "" {
			f.result(t.skipped(suspectPath(src, name), "", why))
			continue
		}
		s := path.Join(src, name)
		d := t.join(dst, name)
		mode, listed := e.Mode(), e
		if mode&fs.ModeSymlink != 0 {
			listed = nil
			// A link to a file is copied as the file; a link to a
			// directory is not followed, since it can loop.
			st, err := c.Stat(ctx, s)
			if err != nil {
				f.result(t.failed(s, d, err))
				continue
			}
			if st.IsDir() {
				f.result(t.skipped(s, d, skipDirLink))
				continue
			}
			mode = st.Mode()
		}
		switch {
		case mode.IsDir():
			c.walkRemoteDir(ctx, t, s, d, f, dirs)
		case mode.IsRegular():
			f.run(func() Result { return t.file(s, d, listed) })
		default:
			f.result(t.skipped(s, d, skipNotRegular))
		}
	}
}

// GetFile downloads the regular file remote to exactly local: into a
// temporary file beside it, hashed while written, its size checked against
// the server's stat of the open handle, proved (proveDownload), synced and
// renamed over local. On any failure local is as it was and no temporary
// file remains. o is at most one TransferOptions.
func (c *Client) GetFile(ctx context.Context, remote, local string, o ...TransferOptions) Result {
	return c.getOne(ctx, remote, local, options(o), nil)
}

// getOne is GetFile, for a file of a tree when in is not nil.
func (c *Client) getOne(ctx context.Context, remote, local string, o TransferOptions, in *treeFile) Result {
	r := Result{Op: "get", Remote: remote, Local: local}
	start := time.Now()
	err := c.getFile(ctx, remote, local, o, in, &r)
	r.Duration = time.Since(start)
	if err != nil {
		r.SHA256, r.Proof, r.Err = "", "", &TransferError{Op: "get", Remote: remote, Local: local, Err: err}
	}
	return r
}

func (c *Client) getFile(ctx context.Context, remote, local string, o TransferOptions, in *treeFile, r *Result) error {
	write := atomicfile.Write
	var pathSt fs.FileInfo
	if in != nil {
		write, pathSt = in.batch.Write, in.listed
	}
	return c.do(ctx, func() error {
		// The type is checked before the open: a server opens a FIFO as
		// asked, and OpenSSH's then waits for a writer, deaf to every
		// other request, until the deadline kills the connection.
		if pathSt == nil {
			var err error
			pathSt, err = c.sftp.Stat(remotePath(remote))
			if err != nil {
				return err
			}
		}
		if !pathSt.Mode().IsRegular() {
			return errors.New("not a regular file")
		}
		// Opened before anything local exists: a missing or unreadable
		// remote file leaves no trace.
		rf, err := c.sftp.Open(remote)
		if err != nil {
			return err
		}
		defer rf.Close()
		st, err := rf.Stat()
		// pkg/sftp's concurrent download asks the handle's size (FSTAT);
		// a server that refuses that gets one read at a time instead, to
		// the size its STAT gave.
		oneByOne := false
		if err != nil && c.refusal(err) {
			c.warnOnce("fstat", fmt.Sprintf("the server refused FSTAT on an open file (%s): downloads go one read request at a time, checked against the size STAT gave (first: %s)", describe(err), remote))
			st, err, oneByOne = pathSt, nil, true
		}
		if err != nil {
			return err
		}
		if !st.Mode().IsRegular() {
			return errors.New("not a regular file")
		}
		c.removeLocalLeftovers(local)
		var copyErr error
		var h hash.Hash
		var back func()
		// A new file gets the remote mode without group and other write,
		// which is what the common umask 022 leaves of it; atomicfile keeps
		// an existing file's mode. Preserve gives it the remote mode.
		perm := st.Mode().Perm() &^ 0o022
		if o.Preserve {
			perm = st.Mode().Perm()
		}
		err = write(local, perm, func(w io.Writer) error {
			h = sha256.New()
			// A file smaller than a chunk is one read request and one
			// for the end of file: read here into a recycled buffer, and
			// hashed here, it costs no goroutines, no second FSTAT (which
			// WriteTo asks before it decides to read sequentially) and
			// no fresh chunk-sized buffer. In a tree of small files those
			// were most of the client's CPU.
			small := st.Size() < int64(c.ses.chunk)
			var dst io.Writer = io.MultiWriter(w, h)
			if f, ok := w.(*os.File); ok && !small {
				d := newDownloadWriter(f, h)
				defer d.close()
				dst = d
			}
			pw := &progressWriter{w: dst, c: c, ev: Event{Kind: EventProgress, Op: "get", Remote: remote, Local: local, Total: st.Size()}}
			var err error
			if oneByOne || small {
				// A chunk-sized buffer: each Read is one request (and
				// one more where the server returns less than asked).
				buf := getChunk(c.ses.chunk)
				_, err = io.CopyBuffer(pw, struct{ io.Reader }{rf}, buf)
				putChunk(buf)
			} else {
				_, err = rf.WriteTo(pw)
			}
			r.Bytes = pw.n
			switch {
			case err != nil:
				copyErr = wrap(err, "download failed")
			case pw.n != st.Size():
				copyErr = &VerifyError{What: "downloaded file", WantBytes: st.Size(), GotBytes: pw.n}
			default:
				r.Proof, copyErr = c.proveDownload(ctx, rf, remote, local, pw.n, hex.EncodeToString(h.Sum(nil)), o.Verify)
			}
			if copyErr == nil {
				// Syncing a large file to a slow disk is not a stalled
				// server: this download leaves the deadline until it uses
				// the network again (files moving meanwhile keep it).
				back = c.g.StepOut()
			}
			return copyErr
		})
		if back != nil {
			back()
		}
		if copyErr != nil {
			return copyErr
		}
		if err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		r.SHA256 = hex.EncodeToString(h.Sum(nil))
		if o.Preserve {
			if err := preserveLocal(local, st); err != nil {
				emit(c.opts.Events, Event{Kind: EventWarning, Op: "get", Remote: remote, Local: local,
					Message: fmt.Sprintf("%s: cannot keep the remote file's times and mode: %v", local, err)})
			}
		}
		return nil
	})
}

// proveDownload proves a download of n bytes whose SHA-256 is sum, from
// the open remote file rf: by the server's SHA-256 of it where the server
// offers check-file; else, with verify, by reading it a second time;
// else by its size alone, which the caller checked. It returns the proof.
func (c *Client) proveDownload(ctx context.Context, rf *sftp.File, remote, local string, n int64, sum string, verify bool) (string, error) {
	got, ok, err := c.serverSHA256(ctx, remotePath(remote), n)
	switch {
	case err != nil:
		return "", wrap(err, "cannot have the server hash the file")
	case ok && got != sum:
		return "", &VerifyError{What: "downloaded file", WantBytes: n, GotBytes: n, WantSHA256: sum, GotSHA256: got, Server: true}
	case ok:
		return ProofServerHash, nil
	case !verify:
		return ProofSize, nil
	}
	if _, err := rf.Seek(0, io.SeekStart); err != nil {
		return "", wrap(err, "cannot read the file a second time")
	}
	h := sha256.New()
	pw := &progressWriter{w: ctxWriter{ctx, h}, c: c, ev: Event{Kind: EventProgress, Op: "get", Remote: remote, Local: local, Total: n, Verify: true}}
	if _, err := rf.WriteTo(pw); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", wrap(err, "cannot read the file a second time")
	}
	if second := hex.EncodeToString(h.Sum(nil)); pw.n != n || second != sum {
		return "", &VerifyError{What: "downloaded file", WantBytes: n, GotBytes: pw.n, WantSHA256: sum, GotSHA256: second}
	}
	return ProofReadBack, nil
}

// removeLocalLeftovers removes the temporary files that downloads to local
// killed outright (SIGKILL, a crash) left behind, which nothing else ever
// removes. Only those no live writer holds go (atomicfile's flock rule);
// without flock, nothing does. A directory that cannot be listed keeps its
// leftovers, and the download says what is wrong with it.
//
// Each local directory is listed once per Client (c.localLeftovers), as
// the remote ones are: listing it again for every file would make a get
// of n files into one directory read n² entries (a minute for 10,000). A
// file left after that first listing, by a run killed while this one goes
// on, waits for the next run.
func (c *Client) removeLocalLeftovers(local string) {
	if !atomicfile.KeepsLiveTemps {
		return
	}
	// atomicfile makes the temporary file beside the file a link at
	// local points to; anything else is written beside local itself.
	// One lstat tells which: resolving every path of a tree (a walk of
	// all their directories, link by link) was a tenth of get -r's CPU.
	p := local
	if st, err := os.Lstat(local); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		p = atomicfile.Resolve(local)
	}
	dir, prefix := filepath.Dir(p), atomicfile.TempPrefix(p)
	ours := func(name string) bool { return strings.HasPrefix(name, prefix) }
	c.leftMu.Lock()
	defer c.leftMu.Unlock()
	names, listed := c.localLeftovers[dir]
	if !listed {
		d, err := os.Open(dir)
		if err != nil {
			return
		}
		all, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return
		}
		for _, n := range all {
			if strings.Contains(n, tempInfix) {
				names = append(names, n)
			}
		}
		if c.localLeftovers == nil {
			c.localLeftovers = map[string][]string{}
		}
		c.localLeftovers[dir] = names
	}
	if !slices.ContainsFunc(names, ours) {
		return
	}
	if atomicfile.RemoveStale(p) == nil {
		c.localLeftovers[dir] = slices.DeleteFunc(names, ours)
	}
}

func failed(op, remote, local string, err error) Result {
	return Result{Op: op, Remote: remote, Local: local, Err: &TransferError{Op: op, Remote: remote, Local: local, Err: err}}
}

// The reasons a recursive copy leaves a file out on purpose.
const (
	// A link to a directory can loop, or lead out of the tree.
	skipDirLink = "a link to a directory is not followed"
	// A FIFO's open waits for a writer; a device or a socket is not
	// content to copy.
	skipNotRegular = "not a regular file"
)

func skipped(op, remote, local, reason string) Result {
	return Result{Op: op, Remote: remote, Local: local, Skipped: true, Reason: reason}
}

// progressReader counts what an upload read, pushes the deadline back
// while bytes move, and reports progress.
type progressReader struct {
	r  io.Reader
	c  *Client
	n  int64
	ev Event
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.n += int64(n)
		p.c.g.Arm()
		p.ev.Bytes = p.n
		emit(p.c.opts.Events, p.ev)
	}
	return n, err
}

// downloadWriter writes a download to its temporary file and hashes it at
// the same time, on two cores: pkg/sftp's WriteTo calls Write from one
// goroutine, which is the download's critical path. Every writebackStep
// written, it also has the disk start writing the file out (off the
// critical path), so that the disk works while the network does and the
// fsync at the end finds little left to do.
type downloadWriter struct {
	f       *os.File
	h       hash.Hash
	off, at int64 // written; handed to the writeback up to

	hashed   chan struct{}
	hashNext chan []byte
	wb       chan [2]int64
	wbDone   chan struct{}
}

const writebackStep = 8 << 20

func newDownloadWriter(f *os.File, h hash.Hash) *downloadWriter {
	d := &downloadWriter{f: f, h: h, hashed: make(chan struct{}), hashNext: make(chan []byte), wb: make(chan [2]int64, 64), wbDone: make(chan struct{})}
	go func() {
		for p := range d.hashNext {
			d.h.Write(p)
			d.hashed <- struct{}{}
		}
	}()
	go func() {
		defer close(d.wbDone)
		for r := range d.wb {
			startWriteback(d.f, r[0], r[1])
		}
	}()
	return d
}

func (d *downloadWriter) Write(p []byte) (int, error) {
	d.hashNext <- p
	n, err := d.f.Write(p)
	<-d.hashed
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	d.off += int64(n)
	if d.off-d.at >= writebackStep {
		select {
		case d.wb <- [2]int64{d.at, d.off - d.at}:
			d.at = d.off
		default: // the disk is behind; the next step asks again
		}
	}
	// The hash has all of p even if the file did not: the size check
	// fails such a download anyway.
	return n, err
}

// close stops the helpers; Write must not be called after.
func (d *downloadWriter) close() {
	close(d.hashNext)
	close(d.wb)
	<-d.wbDone
}

// progressWriter is progressReader's twin for downloads and read-backs.
type progressWriter struct {
	w  io.Writer
	c  *Client
	n  int64
	ev Event
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.n += int64(n)
	if n > 0 {
		p.c.g.Arm()
		p.ev.Bytes = p.n
		emit(p.c.opts.Events, p.ev)
	}
	return n, err
}

// Stat returns the remote file's attributes, following a symbolic link.
func (c *Client) Stat(ctx context.Context, remote string) (fs.FileInfo, error) {
	var st fs.FileInfo
	err := c.do(ctx, func() error {
		var err error
		st, err = c.sftp.Stat(remotePath(remote))
		return err
	})
	return st, err
}

// remotePath is what the server is asked for: "" is the login directory,
// which SFTP names ".".
func remotePath(p string) string {
	if p == "" {
		return "."
	}
	return p
}
