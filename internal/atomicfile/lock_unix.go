//go:build unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// KeepsLiveTemps is true where RemoveStale can tell a live writer's
// temporary file from a dead one's (by its flock), so that a caller that
// holds no lock of its own may call it.
const KeepsLiveTemps = true

// holdTemp marks tmp as a live writer's until release: an flock on a
// second descriptor, so that it outlives tmp's Close and covers the
// rename. The kernel drops it when the process dies, however it dies,
// which is what makes the file stale. ok is false when tmp is no longer
// the file under its name (RemoveStale took it for a dead writer's in the
// moment before the lock): the caller makes another.
func holdTemp(tmp *os.File) (release func(), ok bool, err error) {
	lk, err := os.Open(tmp.Name())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	switch err := unix.Flock(int(lk.Fd()), unix.LOCK_EX|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK) || errors.Is(err, unix.EINTR):
		// A remover holds it and is about to unlink it.
		lk.Close()
		return nil, false, nil
	case err != nil:
		// A file system without flock: the write goes on unmarked, and
		// RemoveStale, which cannot lock it either, leaves it alone.
		return func() { lk.Close() }, true, nil
	}
	if !sameFile(lk, tmp.Name()) || !sameFile(tmp, tmp.Name()) {
		lk.Close()
		return nil, false, nil
	}
	return func() { lk.Close() }, true, nil
}

// removeIfStale removes the temporary file p unless a live writer holds
// it. A file it cannot open or lock is kept: whether its writer lives
// cannot be told.
func removeIfStale(p string) error {
	// O_NONBLOCK: a FIFO swapped in under the name must not block the open.
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil
	}
	// Opened and locked, but the name may have moved on to a new writer's
	// file in between.
	if !sameFile(f, p) {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func sameFile(f *os.File, name string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(name)
	return err == nil && os.SameFile(a, b)
}

// Lock takes an exclusive flock on path, creating it if needed, and
// returns the release: the writers of one file (knownhosts, tlspin) go one
// after the other, and each reads what the one before wrote. flock needs
// no write access, so a lock file another user made still works.
func Lock(path string) (release func(), err error) {
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
