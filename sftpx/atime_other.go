//go:build !linux

package sftpx

import (
	"io/fs"
	"time"
)

// accessTime is a local file's last access time, where the platform's
// stat is not read: its modification time.
func accessTime(st fs.FileInfo) time.Time { return st.ModTime() }
