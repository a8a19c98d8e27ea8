// Package atomicfile replaces files so that a crash or a kill at any point
// leaves either the old content or the new, never a mix, a truncated file,
// or a stray partial file under the real name.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// TempPrefix names the temporary files made for path, so that a later run
// can recognise and remove the ones a killed writer left behind.
func TempPrefix(path string) string {
	return "." + filepath.Base(path) + ".sshpin-tmp-"
}

// Stage lets a test stop a writer at a known step; it does nothing
// otherwise.
var Stage = func(name string) {}

// Write replaces the file at path with what write produces: a temporary
// file in the same directory is written, synced, given the old file's mode
// (and owner, where permitted; mode for a new file), renamed over path, and
// the directory is synced. A symbolic link at path is followed, so the link
// stays a link. On any error the temporary file is removed and path is
// untouched. Until then the temporary file is held (an flock, where
// KeepsLiveTemps), so that another process's RemoveStale leaves it alone
// while this writer lives, and removes it once it was killed.
func Write(path string, mode fs.FileMode, write func(io.Writer) error) error {
	return writeFile(path, mode, write, SyncDir)
}

// writeFile is Write, with syncDir making the rename durable.
func writeFile(path string, mode fs.FileMode, write func(io.Writer) error, syncDir func(dir string) error) error {
	path = Resolve(path)
	uid, gid, owned := -1, -1, false
	switch st, err := os.Stat(path); {
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case err == nil:
		mode = st.Mode().Perm()
		uid, gid, owned = fileOwner(st)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	tmp, release, err := createTemp(path)
	if err != nil {
		return err
	}
	// Released last, after the rename or the removal: until then a
	// RemoveStale of another process must see the file as this writer's.
	defer release()
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	Stage("created")
	if err := write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	Stage("written")
	// CreateTemp makes the file 0600; an explicit chmod is not subject to
	// the umask, so the mode is exactly the old file's.
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if owned {
		// Only root can give a file away; anyone else already owns it.
		_ = tmp.Chown(uid, gid)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	Stage("synced")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	Stage("renamed")
	return syncDir(filepath.Dir(path))
}

// createTemp makes path's temporary file and marks it as a live writer's
// (holdTemp). A file that a remover took in the moment before the mark is
// left to it, and another is made.
func createTemp(path string) (*os.File, func(), error) {
	for range 100 {
		tmp, err := os.CreateTemp(filepath.Dir(path), TempPrefix(path)+"*")
		if err != nil {
			return nil, nil, err
		}
		release, ok, err := holdTemp(tmp)
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, nil, err
		}
		if ok {
			return tmp, release, nil
		}
		tmp.Close()
	}
	return nil, nil, fmt.Errorf("cannot make a temporary file for %s: every one was removed as stale", path)
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, mode fs.FileMode, data []byte) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir makes a rename in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: the file system cannot sync directories; nothing to do.
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// Resolve follows a symbolic link at path, so the link's target is what
// gets replaced.
func Resolve(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

// RemoveStale removes the temporary files killed writers left for path.
// Where KeepsLiveTemps, a file a live writer holds (Write holds an flock
// on its temporary file until the rename) is kept, and so is one whose
// writer cannot be told (it cannot be opened or locked), so anyone may
// call it. Elsewhere call it only while holding the file's lock: a live
// writer's temporary file looks the same.
func RemoveStale(path string) error {
	path = Resolve(path)
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	prefix := TempPrefix(path)
	for _, e := range entries {
		// Write makes regular files only; anything else under such a
		// name is not its leftover.
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			if err := removeIfStale(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}
