package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
)

// A Batch writes many files as Write does, but syncs each directory they
// were renamed into once, in Sync, instead of after every rename. Each
// file's data is still synced before its rename, so a crash never leaves
// a partial file under a real name; what a crash before Sync may lose is
// renames, which leave the old file (or none) and a temporary file that
// RemoveStale recognises. Syncing a directory costs a journal commit, the
// same for one rename as for a thousand: for a tree of small files it was
// half of what writing them cost (ext4).
//
// Its methods may be called from several goroutines.
type Batch struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// syncDir is SyncDir; a test counts the calls.
var syncDir = SyncDir

// Write is Write, leaving the directory's sync to Sync.
func (b *Batch) Write(path string, mode fs.FileMode, write func(io.Writer) error) error {
	return writeFile(path, mode, write, func(dir string) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.dirs == nil {
			b.dirs = map[string]bool{}
		}
		b.dirs[dir] = true
		return nil
	})
}

// Sync syncs every directory the batch's Writes renamed into since the
// last Sync, in name order; it returns every failure, each naming its
// directory. The renames are durable once it returns nil.
func (b *Batch) Sync() error {
	b.mu.Lock()
	dirs := make([]string, 0, len(b.dirs))
	for d := range b.dirs {
		dirs = append(dirs, d)
	}
	b.dirs = nil
	b.mu.Unlock()
	slices.Sort(dirs)
	var errs []error
	for _, d := range dirs {
		if err := syncDir(filepath.Clean(d)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
