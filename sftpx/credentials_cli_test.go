package sftpx

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// The target's secrets ($SSHPIN_PASSWORD, the -i key) never reach a jump
// host: through the binary, a logging bastion sees only what the
// configuration gives it (its User and IdentityFile), whether it accepts
// that or refuses everything, while the target still gets its own.
func TestCLIJumpHostGetsOnlyItsCredentials(t *testing.T) {
	const targetPassword = "target-secret-pw"
	targetKey, targetPub := userKey(t, "")
	hopKey, hopPub := userKey(t, "")
	tgt := startServer(t, serverConfig{password: targetPassword})
	for _, c := range []struct {
		name     string
		accept   bool // the bastion accepts the hop's key
		wantCode int
	}{
		{"bastion accepts its key", true, 0},
		{"bastion refuses everything", false, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := bastionConfig{password: "the-bastion-has-its-own"}
			if c.accept {
				cfg.userKeys = []ssh.PublicKey{hopPub}
			}
			b := startBastion(t, cfg)
			dir := t.TempDir()
			pinned := filepath.Join(dir, "pinned")
			lines := xknownhosts.Line([]string{"[" + b.Host + "]:" + strconv.Itoa(b.Port)}, b.Key.PublicKey()) + "\n" +
				xknownhosts.Line([]string{"[" + tgt.Host + "]:" + strconv.Itoa(tgt.Port)}, tgt.cfg.hostKeys[0].PublicKey()) + "\n"
			if err := os.WriteFile(pinned, []byte(lines), 0o600); err != nil {
				t.Fatal(err)
			}
			config := filepath.Join(dir, "config")
			if err := os.WriteFile(config, []byte(fmt.Sprintf("Host bastion\n  HostName %s\n  Port %d\n  User hopuser\n  IdentityFile %s\n", b.Host, b.Port, hopKey)), 0o600); err != nil {
				t.Fatal(err)
			}
			r := sshpin(t, []string{"SSHPIN_PASSWORD=" + targetPassword}, "sftp", "-F", config, "--pinned", pinned, "-i", targetKey,
				"-J", "bastion", "ls", "--json", "tester@"+tgt.Addr+":/")
			if r.code != c.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", r.code, c.wantCode, r.stdout, r.stderr)
			}
			attempts := b.Attempts()
			if len(attempts) == 0 {
				t.Fatalf("the bastion saw no authentication attempt\n%s", r.stderr)
			}
			for _, a := range attempts {
				if a.User != "hopuser" {
					t.Errorf("the bastion was asked for user %q, not its own (hopuser)", a.User)
				}
				if a.Key == ssh.FingerprintSHA256(targetPub) {
					t.Errorf("the bastion was offered the target's -i key: %+v", a)
				}
				if a.Key != "" && a.Key != ssh.FingerprintSHA256(hopPub) {
					t.Errorf("the bastion was offered a key not configured for it: %+v", a)
				}
				if strings.Contains(a.Password, targetPassword) {
					t.Errorf("the bastion was sent the target's password: %+v", a)
				}
			}
			if c.accept && tgt.AuthAttempts.Load() == 0 {
				t.Errorf("the target saw no login")
			}
			if !c.accept && !strings.Contains(r.stderr, "jump host "+b.Addr) {
				t.Errorf("the failure does not name the jump host:\n%s", r.stderr)
			}
		})
	}
}
