package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A get killed with SIGKILL leaves its temporary file; the next writer of
// the same name removes it without a lock of its own, and a live writer's
// file is never taken for such a leftover.
func TestRemoveStaleKeepsLiveWriterRemovesKilledOnes(t *testing.T) {
	if !KeepsLiveTemps {
		t.Skip("no flock here: RemoveStale needs the caller's lock")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	killed := filepath.Join(dir, TempPrefix(path)+"4242") // made by hand: no writer holds it
	other := filepath.Join(dir, TempPrefix(filepath.Join(dir, "g"))+"4242")
	for _, p := range []string{killed, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var during []string
	err := Write(path, 0o644, func(w io.Writer) error {
		// Another run's cleanup while this writer is live.
		if err := RemoveStale(path); err != nil {
			return err
		}
		during = names(t, dir)
		_, err := w.Write([]byte("new"))
		return err
	})
	if err != nil {
		t.Fatalf("Write with a RemoveStale while it wrote: %v", err)
	}
	live := slices.DeleteFunc(slices.Clone(during), func(n string) bool { return n == filepath.Base(other) })
	if len(live) != 1 || live[0] == filepath.Base(killed) {
		t.Errorf("during the write: %q; want the live writer's temporary file and g's only", during)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Errorf("f holds %q", b)
	}
	if got, want := names(t, dir), []string{filepath.Base(other), "f"}; !slices.Equal(got, want) {
		t.Errorf("after: %q, want %q", got, want)
	}
}

// What RemoveStale must not touch: a directory or a link under a
// temporary file's name is not Write's leftover.
func TestRemoveStaleOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	d := filepath.Join(dir, TempPrefix(path)+"1")
	l := filepath.Join(dir, TempPrefix(path)+"2")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere", l); err != nil {
		t.Skip("no symbolic links here")
	}
	if err := RemoveStale(path); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d, l} {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s removed", filepath.Base(p))
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}
