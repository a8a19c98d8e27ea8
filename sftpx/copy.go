package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sshpin/sshpin/internal/guard"
)

// CopyFile copies the regular file srcPath on src's server to exactly dst
// on c's, streaming it through this process: nothing is written locally.
// The destination gets what PutFile gives an upload: a temporary name,
// fsync, a size check, its proof (with Verify, every chunk read back and
// compared), and a rename into place; the SHA-256 is of the bytes read
// from the source, and a source server that offers check-file must hash
// its file to the same. src and c are two Clients, each verified against
// its own pins (they may be two connections to one server). o is at most
// one TransferOptions.
func (c *Client) CopyFile(ctx context.Context, src *Client, srcPath, dst string, o ...TransferOptions) Result {
	r := Result{Op: "cp", Remote: dst, Local: srcPath}
	start := time.Now()
	err := withReplace(c.copyFile(ctx, src, srcPath, dst, options(o), &r), r.replaceErr)
	r.Duration = time.Since(start)
	if err != nil {
		r.SHA256, r.Proof, r.Err = "", "", &TransferError{Op: "cp", Remote: dst, Local: srcPath, Err: err}
	}
	return r
}

func (c *Client) copyFile(ctx context.Context, src *Client, srcPath, dst string, o TransferOptions, r *Result) error {
	if src == c {
		return errors.New("sftpx: CopyFile needs a second connection for the source")
	}
	return src.do(ctx, func() error {
		// Stat before the open, as getFile does: a FIFO's open would hold
		// the source server until the deadline.
		pathSt, err := src.sftp.Stat(remotePath(srcPath))
		if err != nil {
			return wrap(err, "source file")
		} else if !pathSt.Mode().IsRegular() {
			return errors.New("source file is not a regular file")
		}
		f, err := src.sftp.Open(remotePath(srcPath))
		if err != nil {
			return wrap(err, "source file")
		}
		defer f.Close()
		st, err := f.Stat()
		oneByOne := false // as getFile does, for a source that refuses FSTAT
		if err != nil && src.refusal(err) {
			src.warnOnce("fstat", fmt.Sprintf("the source server refused FSTAT on an open file (%s): copies from it go one read request at a time, checked against the size STAT gave (first: %s)", describe(err), srcPath))
			st, err, oneByOne = pathSt, nil, true
		}
		if err != nil {
			return wrap(err, "source file")
		}
		if !st.Mode().IsRegular() {
			return errors.New("source file is not a regular file")
		}
		// The source is read with pkg/sftp's concurrent reads, sized to what
		// the source server serves whole, into a pipe the upload reads.
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			aw := &armingWriter{w: pw, g: src.g}
			var err error
			if oneByOne {
				_, err = io.CopyBuffer(aw, struct{ io.Reader }{f}, make([]byte, src.ses.chunk))
			} else {
				_, err = f.WriteTo(aw)
			}
			pw.CloseWithError(err) // nil: EOF
		}()
		up := upSource{r: pr, size: st.Size(), mode: st.Mode().Perm(), name: srcPath, what: "source file"}
		if o.Preserve {
			up.times = remoteTimes(st)
		}
		if src.hasCheckFile() {
			up.check = func(sum string) error {
				got, ok, err := src.serverSHA256(ctx, remotePath(srcPath), st.Size())
				switch {
				case err != nil:
					return wrap(err, "cannot have the source server hash the file")
				case ok && got != sum:
					return &VerifyError{What: "source file", WantBytes: st.Size(), GotBytes: st.Size(), WantSHA256: sum, GotSHA256: got, Server: true}
				}
				return nil
			}
		}
		err = c.do(ctx, func() error { return c.place(ctx, up, dst, o, r) })
		pr.CloseWithError(errors.New("the copy ended")) // stops the reader if the upload did
		<-done
		if err != nil {
			if r := src.g.Failure(); r != nil {
				return fmt.Errorf("source: %w", r)
			}
		}
		return err
	})
}

// armingWriter pushes a connection's deadline back as bytes arrive.
type armingWriter struct {
	w io.Writer
	g *guard.Guard
}

func (a *armingWriter) Write(p []byte) (int, error) {
	a.g.Arm()
	return a.w.Write(p)
}

// HasGlob reports whether the last element of a remote path holds a
// wildcard (*, ? or [...]), as sftp(1) and scp expand them on the server.
func HasGlob(p string) bool {
	return strings.ContainsAny(path.Base(p), "*?[")
}

// Glob lists the remote files whose names match pattern's last element
// (path.Match, against the server's listing of its directory), sorted by
// name. As in sftp(1), names starting with '.' match only a pattern that
// does too. Wildcards in the directory part are refused.
func (c *Client) Glob(ctx context.Context, pattern string) ([]Entry, error) {
	dir, base := path.Split(pattern)
	if strings.ContainsAny(dir, "*?[") {
		return nil, &TransferError{Op: "glob", Remote: pattern, Err: errors.New("wildcards are only supported in the last path element")}
	}
	if _, err := path.Match(base, ""); err != nil {
		return nil, &TransferError{Op: "glob", Remote: pattern, Err: fmt.Errorf("bad pattern: %w", err)}
	}
	var out []Entry
	err := c.do(ctx, func() error {
		d := dir
		if d != "/" {
			d = strings.TrimSuffix(d, "/")
		}
		infos, err := c.readDir(remotePath(d))
		if err != nil {
			return err
		}
		for _, fi := range infos {
			name, why := listedName(fi.Name())
			if why != "" {
				c.suspect(d, name, why)
				continue
			}
			if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
				continue
			}
			if ok, _ := path.Match(base, name); ok {
				out = append(out, resolveLink(c, Entry{Name: name, Path: dir + name, Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}))
			}
		}
		return nil
	})
	if err != nil {
		return nil, &TransferError{Op: "glob", Remote: pattern, Err: wrap(err, "cannot list the directory")}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Newest returns the regular file (or link to one, as listed) with the
// latest modification time; of equal times, the last by name. ok is false
// when entries holds no such file.
func Newest(entries []Entry) (e Entry, ok bool) { return NewestEntry(entries, false) }

// NewestEntry is Newest, and with dirs directories are candidates too: a
// recursive copy of the newest match may copy a directory.
func NewestEntry(entries []Entry, dirs bool) (e Entry, ok bool) {
	n, ok := ChooseNewest(entries, dirs)
	return n.Entry, ok
}
