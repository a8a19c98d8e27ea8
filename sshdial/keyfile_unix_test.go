//go:build linux

package sshdial

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Identity files that are no regular file: a FIFO nobody writes to reads
// as empty (no key) instead of blocking the open; one whose writer never
// writes fails with ErrTimeout; a pipe with a key in it (-i <(...)) works,
// as in ssh.
func TestKeyFileNotRegular(t *testing.T) {
	key, pub := userKey(t, "")
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKeyFiles([]string{fifo}, time.Minute); err == nil {
		t.Error("a FIFO without a writer read as a key")
	}

	w, err := os.OpenFile(fifo, os.O_RDWR|syscall.O_NONBLOCK, 0) // a writer that never writes
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadKeyFiles([]string{fifo}, 100*time.Millisecond)
	w.Close()
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("a FIFO whose writer never writes: %v, want ErrTimeout", err)
	}

	data, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	pw.Write(data)
	pw.Close()
	ks, err := loadKeyFiles([]string{"/proc/self/fd/" + strconv.Itoa(int(pr.Fd()))}, time.Minute)
	if err != nil || len(ks) != 1 || ks[0].signer == nil || !sameKey(ks[0].signer.PublicKey(), pub) {
		t.Errorf("a key from a pipe: %v", err)
	}

	if _, err := loadKeyFiles([]string{dir}, time.Minute); err == nil {
		t.Error("a directory read as a key")
	}
}
