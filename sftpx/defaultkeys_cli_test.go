//go:build unix

package sftpx

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// sshpinNoTerminal runs the binary as sshpin does, in a session of its
// own: without a controlling terminal there is nobody to prompt, whatever
// terminal the tests run in.
func sshpinNoTerminal(t *testing.T, home string, env []string, args ...string) cliRun {
	t.Helper()
	setsid := func(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
	_, wait := startCLI(t, home, setsid, env, args...)
	return wait()
}

// ~/.ssh/id_ed25519, encrypted, is the only key: with $SSHPIN_PASSPHRASE
// it logs in; with a wrong one the key is named and skipped; with neither
// the variable nor a terminal it is skipped without a word, as before.
func TestCLIEncryptedDefaultKey(t *testing.T) {
	keygen := testpeer.Require(t, "ssh-keygen")
	home := t.TempDir()
	os.Mkdir(filepath.Join(home, ".ssh"), 0o700)
	key := filepath.Join(home, ".ssh", "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "sesame", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	line := strings.TrimSpace(string(mustReadBytes(t, key+".pub")))
	p := testpeer.SSHD(t, testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}, AuthorizedKeys: []string{line}})
	pinned := filepath.Join(t.TempDir(), "pinned")
	os.WriteFile(pinned, []byte(pinLines(t, p, peerKeys(t, p))), 0o600)
	dir := t.TempDir()
	writeLocal(t, filepath.Join(dir, "f"), []byte("x"))
	ls := func(env ...string) cliRun {
		return sshpinNoTerminal(t, home, env, "sftp", "-F", "none", "--pinned", pinned, "ls", p.Addr+":"+dir)
	}

	if r := ls("SSHPIN_PASSPHRASE=sesame"); r.code != 0 || !strings.Contains(r.stdout, " f\n") || r.stderr != "" {
		t.Fatalf("with $SSHPIN_PASSPHRASE: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := ls("SSHPIN_PASSPHRASE=wrong")
	if r.code != 2 || !strings.Contains(r.stderr, "identity "+key+": cannot decrypt (wrong passphrase?)") || !strings.Contains(r.stderr, "authentication failed") {
		t.Errorf("with a wrong $SSHPIN_PASSPHRASE: exit %d\n%s", r.code, r.stderr)
	}
	r = ls()
	if r.code != 2 || strings.Contains(r.stderr, "id_ed25519") || strings.Contains(r.stderr, "passphrase") || !strings.Contains(r.stderr, "authentication failed") {
		t.Errorf("without a terminal: exit %d\n%s", r.code, r.stderr)
	}
}
