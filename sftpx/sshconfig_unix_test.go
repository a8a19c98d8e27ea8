//go:build unix

package sftpx

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The same through the binary: -F FIFO is an error at once (exit 2).
func TestCLIConfigFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r := sshpin(t, nil, "sftp", "-F", fifo, "--timeout", "2s", "ls", "127.0.0.1:")
	if r.code != 2 || !strings.Contains(r.stderr, "sshpin: ssh config: "+fifo+": not a regular file (a FIFO)") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}
