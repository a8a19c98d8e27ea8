//go:build !unix

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
)

// KeepsLiveTemps is false here: without flock, RemoveStale cannot tell a
// live writer's temporary file from a dead one's, and only a holder of
// the file's lock may call it.
const KeepsLiveTemps = false

func holdTemp(*os.File) (release func(), ok bool, err error) { return func() {}, true, nil }

func removeIfStale(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Lock fails here: without flock, two writers of one file could lose a
// line.
func Lock(path string) (release func(), err error) {
	return nil, errors.New("file locking is not supported on this system")
}
