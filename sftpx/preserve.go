package sftpx

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// fileTimes are what Preserve carries from a source to its copy, as
// OpenSSH's sftp -p does: the modification and access times (SFTPv3 has
// whole seconds) and, beside them, the permission bits.
type fileTimes struct {
	atime, mtime time.Time
}

// localTimes are a local file's times.
func localTimes(st fs.FileInfo) *fileTimes {
	return &fileTimes{atime: accessTime(st), mtime: st.ModTime()}
}

// remoteTimes are a remote file's times, as the server's stat gave them.
func remoteTimes(st fs.FileInfo) *fileTimes {
	t := &fileTimes{atime: st.ModTime(), mtime: st.ModTime()}
	if fs, ok := st.Sys().(*sftp.FileStat); ok && fs.Atime != 0 {
		t.atime = time.Unix(int64(fs.Atime), 0)
	}
	return t
}

// timesRefused reports, once per Client, a server that would not set the
// times of an upload: the file itself is whole and in place, its date is
// the upload's.
func (c *Client) timesRefused(dst string, err error) {
	if c.ses.timesRefused.CompareAndSwap(false, true) {
		emit(c.opts.Events, Event{Kind: EventWarning, Remote: dst,
			Message: fmt.Sprintf("the server would not set the modification time of %s (%s): uploads keep the upload's time", dst, describe(err))})
	}
}

// preserveLocal gives the downloaded file local the remote file's times
// and permission bits.
func preserveLocal(local string, st fs.FileInfo) error {
	t := remoteTimes(st)
	if err := os.Chmod(local, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Chtimes(local, t.atime, t.mtime)
}

// dirAttrs are what Preserve gives a directory of a recursive copy.
type dirAttrs struct {
	path  string
	mode  fs.FileMode
	times *fileTimes
}

// dirTimes are the directories of a recursive copy, in the walk's order:
// their times are set once everything under them is copied (a file made
// in a directory changes its modification time), deepest first.
type dirTimes struct {
	mu   sync.Mutex
	list []dirAttrs
}

func (d *dirTimes) add(path string, mode fs.FileMode, t *fileTimes) {
	d.mu.Lock()
	d.list = append(d.list, dirAttrs{path, mode, t})
	d.mu.Unlock()
}

// apply calls set on every directory, the last walked first: a child
// after its parent in the walk, so before it here. The first failure
// stops it: a server that refuses one refuses them all.
func (d *dirTimes) apply(set func(dirAttrs) error) {
	for i := len(d.list) - 1; i >= 0; i-- {
		if set(d.list[i]) != nil {
			return
		}
	}
}

// setRemoteAttrs sets a remote directory's mode and times; a server that
// refuses is warned about once (timesRefused), and the copy stands.
func (c *Client) setRemoteAttrs(ctx context.Context, d dirAttrs) error {
	err := c.do(ctx, func() error {
		if err := c.sftp.Chmod(d.path, d.mode); err != nil {
			return err
		}
		return c.sftp.Chtimes(d.path, d.times.atime, d.times.mtime)
	})
	if err != nil {
		c.timesRefused(d.path, err)
	}
	return err
}

// setLocalAttrs sets a local directory's mode and times.
func setLocalAttrs(d dirAttrs) error {
	if err := os.Chmod(d.path, d.mode); err != nil {
		return err
	}
	return os.Chtimes(d.path, d.times.atime, d.times.mtime)
}
