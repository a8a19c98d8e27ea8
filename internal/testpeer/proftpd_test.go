package testpeer_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// ProFTPD's mod_sftp as OpenSSH's own clients see it: ssh-keyscan finds
// exactly its host keys, ssh accepts them, sftp logs in with the key and
// uploads, and after a rotation the new keys are served.
func TestProFTPD(t *testing.T) {
	t.Parallel()
	key, pub := testpeer.ClientKey(t, "ed25519")
	p := testpeer.ProFTPD(t, testpeer.ProFTPDConfig{AuthorizedKeys: []string{pub}})
	if h := probe(t, p); !strings.HasPrefix(h.Banner.Raw, "SSH-2.0-mod_sftp") {
		t.Errorf("banner %q", h.Banner.Raw)
	}
	lines := checkKeyscan(t, p)
	if len(lines) != len(testpeer.ProFTPDKeyTypes) {
		t.Errorf("ssh-keyscan found %d keys, want %d", len(lines), len(testpeer.ProFTPDKeyTypes))
	}
	kh := writeKnownHosts(t, lines...)
	if ok, out := testpeer.SSHAccepts(t, p, kh); !ok {
		t.Errorf("ssh rejected the keys ssh-keyscan found:\n%s\nserver log:\n%s", out, p.Log())
	}

	cmd := exec.CommandContext(t.Context(), "sftp", "-F", "/dev/null", "-b", "-", "-P", strconv.Itoa(p.Port),
		"-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+kh, "-o", "GlobalKnownHostsFile=/dev/null",
		p.Host)
	dir := t.TempDir()
	cmd.Stdin = strings.NewReader("put " + kh + " " + filepath.Join(dir, "copy") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sftp: %v\n%s\nserver log:\n%s", err, out, p.Log())
	}
	if _, err := os.Stat(filepath.Join(dir, "copy")); err != nil {
		t.Errorf("uploaded file: %v", err)
	}
	if !strings.Contains(p.Log(), "authenticated via 'publickey' method") {
		t.Errorf("the log lacks the login:\n%s", p.Log())
	}

	p.RotateKeys(t, "ed25519")
	if ok, _ := testpeer.SSHAccepts(t, p, kh); ok {
		t.Error("ssh accepted the old keys after the rotation")
	}
	if got := checkKeyscan(t, p); len(got) != 1 {
		t.Errorf("after the rotation, ssh-keyscan found %q", got)
	}
}
