//go:build unix

// Package nbopen opens local files for reading without blocking on a FIFO,
// so that the caller can check the type of what it opened and refuse one.
package nbopen

import (
	"os"
	"syscall"
)

// Open opens a local file for reading without Blocking: a FIFO that
// took a regular file's place opens at once, for the caller's type check
// to refuse.
func Open(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Blocking clears the O_NONBLOCK Open set, once f is known to be a
// regular file, so that its reads are plain ones.
func Blocking(f *os.File) error {
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
