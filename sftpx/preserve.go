package sftpx

import (
	"fmt"
	"io/fs"
	"os"
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
