package knownhosts

import (
	"fmt"
	"io/fs"

	"github.com/sshpin/sshpin/internal/atomicfile"
)

// WriteFile replaces the file at path with f's content atomically (see
// internal/atomicfile): a crash leaves either the old or the new file. The
// file keeps its mode and, as far as permitted, its owner; a new file gets
// 0644, as ssh creates known_hosts. A symbolic link is followed, so the link
// stays a link. Use Update when others may write the same file.
func WriteFile(path string, f *File) error {
	if err := atomicfile.WriteBytes(path, fs.FileMode(0o644), f.Bytes()); err != nil {
		return fmt.Errorf("knownhosts: %w", err)
	}
	return nil
}

func resolve(path string) string { return atomicfile.Resolve(path) }
