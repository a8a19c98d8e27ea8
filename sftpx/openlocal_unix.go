//go:build unix

package sftpx

import (
	"os"
	"syscall"
)

// openLocal opens a local file for reading without blocking: a FIFO that
// took a regular file's place opens at once, for the caller's type check
// to refuse.
func openLocal(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// blocking clears the O_NONBLOCK openLocal set, once f is known to be a
// regular file, so that its reads are plain ones.
func blocking(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
