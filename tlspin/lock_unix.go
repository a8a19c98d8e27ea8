//go:build unix

package tlspin

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock on path (created if needed), as
// knownhosts locks its files: two runs that trust on first use at once
// write one after the other, and the second sees the first's pin.
func lock(path string) (func(), error) {
	fh, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(fh.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return func() { fh.Close() }, nil
}
