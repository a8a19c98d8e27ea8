package sftpx

import (
	"io/fs"
	"syscall"
	"time"
)

// accessTime is a local file's last access time.
func accessTime(st fs.FileInfo) time.Time {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return time.Unix(s.Atim.Unix())
	}
	return st.ModTime()
}
