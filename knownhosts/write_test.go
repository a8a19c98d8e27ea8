package knownhosts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "known_hosts")
	f := mustParse(t, "# one\r\nno newline at the end")

	if err := WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "# one\r\nno newline at the end", 0o644)

	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f2 := mustParse(t, "# two\n")
	if err := WriteFile(path, f2); err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, "# two\n", 0o600)

	// Through a symbolic link: the target changes, the link stays.
	link := filepath.Join(dir, "link")
	if err := os.Symlink("known_hosts", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, mustParse(t, "# three\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced: %v %v", fi, err)
	}
	checkFile(t, path, "# three\n", 0o600)
	assertNoTemps(t, path)

	if err := WriteFile(dir, f); err == nil || !strings.HasPrefix(err.Error(), "knownhosts: ") {
		t.Errorf("writing over a directory: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "known_hosts"), f); err == nil {
		t.Error("writing into a missing directory: no error")
	}
	assertNoTemps(t, path)
}

func checkFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != content {
		t.Errorf("%s holds %q, want %q", path, b, content)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

func temps(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".known_hosts.sshpin-tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func assertNoTemps(t *testing.T, path string) {
	t.Helper()
	if m := temps(t, path); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}
