package knownhosts

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/sshpin/sshpin/internal/atomicfile"
)

// Update changes the file at path under an exclusive lock: it locks
// path+".lock" (a sibling, since the rename replaces the file itself and
// would leave a lock on it behind), removes temporary files that killed
// writers left, reads the file afresh, calls fn, and writes the result with
// WriteFile if fn changed anything. A missing file reads as empty and is
// only created if fn adds lines. Concurrent Updates, in one process or
// many, never lose each other's changes.
//
// The lock file is left in place: removing it would let a waiter lock a
// file that a newcomer no longer sees.
func Update(path string, fn func(*File) error) error {
	name := path
	path = resolve(path)
	unlock, err := atomicfile.Lock(path + ".lock")
	if err != nil {
		return fmt.Errorf("knownhosts: lock %s: %w", path+".lock", err)
	}
	defer unlock()
	if err := removeTemps(path); err != nil {
		return err
	}
	f, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = &File{}, nil
	}
	if err != nil {
		return err
	}
	f.Name = name // as the caller knows it, for messages
	before := f.Bytes()
	if err := fn(f); err != nil {
		return err
	}
	if bytes.Equal(before, f.Bytes()) {
		return nil
	}
	return WriteFile(path, f)
}

// removeTemps deletes WriteFile's leftovers for path. Only a holder of the
// lock may call it: a live writer's temporary file looks the same.
func removeTemps(path string) error {
	if err := atomicfile.RemoveStale(path); err != nil {
		return fmt.Errorf("knownhosts: removing a stale temporary file: %w", err)
	}
	return nil
}
