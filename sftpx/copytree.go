package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Copy copies the file or (with Recursive) directory srcPath on src's
// server to dst on c's, each file as CopyFile copies it, calling each with
// every file's Result as Put does. As Put does, when dst is an existing
// directory the copy goes inside it under srcPath's name; otherwise dst
// names the copy itself. A directory is walked as Get walks one: directories are made as
// needed (an existing one will do), a link to a file is copied as the
// file, a link to a directory is not followed, and whatever fails is a
// failed Result of its own while the rest go on.
func (c *Client) Copy(ctx context.Context, src *Client, srcPath, dst string, o TransferOptions, each func(Result)) {
	fail := func(err error) { each(failed("cp", dst, srcPath, err)) }
	if src == c {
		fail(errors.New("sftpx: Copy needs a second connection for the source"))
		return
	}
	st, err := src.Stat(ctx, srcPath)
	if err != nil {
		fail(wrap(err, "source"))
		return
	}
	if st.IsDir() && !o.Recursive {
		fail(fmt.Errorf("source %w", ErrIsDir))
		return
	}
	target, err := c.remoteTarget(ctx, dst, func() (string, error) { return src.baseName(ctx, srcPath) })
	if err != nil {
		fail(err)
		return
	}
	if !st.IsDir() {
		each(c.CopyFile(ctx, src, srcPath, target, o))
		return
	}
	if c.intoItself(ctx, src, srcPath, target) {
		each(failed("cp", target, srcPath, errors.New("cannot copy a directory into itself")))
		return
	}
	t := &remoteTree{
		op:     "cp",
		listed: "source directory",
		mkdir:  func(d string) error { _, err := c.mkdirExisting(ctx, d); return err },
		join:   func(dir, name string) string { return path.Join(dir, name) },
	}
	// The destination's fsyncs, as put -r's, go over several sessions.
	lane, release := c.lanes(ctx, putLanes)
	defer release()
	t.file = func(s, d string, _ fs.FileInfo) Result { return lane().CopyFile(ctx, src, s, d, o) }
	if o.Preserve {
		t.setDir = func(d dirAttrs) error { return c.setRemoteAttrs(ctx, d) }
	}
	src.walkRemote(ctx, t, srcPath, target, each)
}

// intoItself tells whether the copy of the directory srcPath to dst would
// land inside srcPath: two connections to one server (the same host key)
// see one file system, and such a copy would keep finding its own new
// directories in the listings it walks. Paths are compared as the servers
// resolve them; one that will not resolve is no overlap, and the copy
// fails on its own.
func (c *Client) intoItself(ctx context.Context, src *Client, srcPath, dst string) bool {
	if !c.sameServer(src) {
		return false
	}
	var s, d string
	err := src.do(ctx, func() error {
		var err error
		s, err = src.sftp.RealPath(remotePath(srcPath))
		return err
	})
	if err != nil {
		return false
	}
	// dst need not exist yet; its parent must, for the copy to be made.
	err = c.do(ctx, func() error {
		var err error
		d, err = c.sftp.RealPath(remotePath(path.Dir(dst)))
		return err
	})
	if err != nil {
		return false
	}
	d = path.Join(d, path.Base(dst))
	return d == s || s == "/" || strings.HasPrefix(d, s+"/")
}
