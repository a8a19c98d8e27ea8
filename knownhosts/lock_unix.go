//go:build unix

package knownhosts

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock on path, creating it if needed, and returns
// the release. flock needs no write access, so a lock file made by another
// user still works.
func lock(path string) (func(), error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("knownhosts: lock: %w", err)
	}
	for {
		err = unix.Flock(int(fh.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		fh.Close()
		return nil, fmt.Errorf("knownhosts: lock %s: %w", path, err)
	}
	return func() { fh.Close() }, nil
}
