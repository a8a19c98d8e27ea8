package sftpx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// smallDisk mounts a tmpfs of size bytes on a new directory, for the test.
// Mounting takes root (or CAP_SYS_ADMIN); without, the test is skipped, or
// fails under CI=true.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		msg := "cannot mount a small tmpfs for a full disk: " + err.Error()
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// A put onto a full disk said "upload failed at byte 1044480: sftp:
// "Failure" (SSH_FX_FAILURE)", SFTPv3's word for every error it has no
// code for. With statvfs@openssh.com the server can say how much room the
// directory has, and when that is less than what was left to write, the
// line says so. The temporary file is removed: the connection is fine.
func TestPutFullDiskSaysNoSpace(t *testing.T) {
	disk := smallDisk(t, "1m")
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.SFTP().HasExtension(statvfsExtension); !ok {
		t.Fatalf("sshd lacks %s", statvfsExtension)
	}
	src := filepath.Join(t.TempDir(), "src")
	writeLocal(t, src, randomBytes(t, 3<<20))
	r := c.PutFile(context.Background(), src, disk+"/big")
	if r.Err == nil {
		t.Fatal("a 3 MiB put onto a 1 MiB disk succeeded")
	}
	re := regexp.MustCompile(`^upload failed at byte \d+: no space left on the server \(\d+ bytes free in ` + regexp.QuoteMeta(disk) + `\)$`)
	if reason := r.Err.(*TransferError).Reason(); !re.MatchString(reason) {
		t.Errorf("the reason reads %q, want it to match %s", reason, re)
	}
	var se *sftp.StatusError
	if !errors.As(r.Err, &se) {
		t.Errorf("%v: the server's status is lost", r.Err)
	}
	if names := dirNames(t, disk); len(names) != 0 {
		t.Errorf("the full disk holds %q after the failed put", names)
	}
	// A put that fits is no business of this.
	small := filepath.Join(t.TempDir(), "small")
	writeLocal(t, small, randomBytes(t, 100<<10))
	if r := c.PutFile(context.Background(), small, disk+"/small"); r.Err != nil {
		t.Errorf("a put that fits: %v", r.Err)
	}
}
