package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// A Batch renames each file into place as Write does, and syncs each
// directory once, in Sync, however many files went into it.
func TestBatchSyncsEachDirectoryOnce(t *testing.T) {
	var mu sync.Mutex
	synced := map[string]int{}
	orig := syncDir
	syncDir = func(dir string) error {
		mu.Lock()
		synced[dir]++
		mu.Unlock()
		return orig(dir)
	}
	t.Cleanup(func() { syncDir = orig })

	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var batch Batch
	var wg sync.WaitGroup
	for i := range 20 {
		dir := a
		if i%4 == 0 {
			dir = b
		}
		wg.Go(func() {
			p := filepath.Join(dir, "f"+strings.Repeat("x", i))
			if err := batch.Write(p, 0o644, func(w io.Writer) error { _, err := w.Write([]byte(p)); return err }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(synced) != 0 {
		t.Fatalf("directories synced before Sync: %v", synced)
	}
	for i := range 20 {
		dir := a
		if i%4 == 0 {
			dir = b
		}
		p := filepath.Join(dir, "f"+strings.Repeat("x", i))
		if got, err := os.ReadFile(p); err != nil || string(got) != p {
			t.Errorf("%s: %q, %v: want it in place before Sync", p, got, err)
		}
	}
	if err := batch.Sync(); err != nil {
		t.Fatal(err)
	}
	if synced[a] != 1 || synced[b] != 1 || len(synced) != 2 {
		t.Errorf("synced %v, want %s and %s once each", synced, a, b)
	}
	// A second Sync has nothing left to do.
	if err := batch.Sync(); err != nil || synced[a] != 1 {
		t.Errorf("second Sync: %v, synced %v", err, synced)
	}
}

// A directory that cannot be synced is named in Sync's error, and the
// others are still synced.
func TestBatchSyncNamesTheDirectory(t *testing.T) {
	root := t.TempDir()
	gone, kept := filepath.Join(root, "gone"), filepath.Join(root, "kept")
	var batch Batch
	for _, d := range []string{gone, kept} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := batch.Write(filepath.Join(d, "f"), 0o644, func(w io.Writer) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	err := batch.Sync()
	if err == nil || !strings.Contains(err.Error(), gone) || strings.Contains(err.Error(), kept) {
		t.Fatalf("Sync: %v, want an error naming %s only", err, gone)
	}
}
