//go:build unix

package atomicfile

import (
	"io/fs"
	"syscall"
)

func fileOwner(st fs.FileInfo) (uid, gid int, ok bool) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(s.Uid), int(s.Gid), true
	}
	return -1, -1, false
}
