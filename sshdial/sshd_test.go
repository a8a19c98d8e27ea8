package sshdial

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/knownhosts"
)

// sshdPeer starts a real OpenSSH sshd (internal-sftp) that lets user in
// with a fresh ed25519 key, and returns it with the key's path and a
// pinned file holding its host keys.
func sshdPeer(t testing.TB, user string, cfg testpeer.SSHDConfig) (*testpeer.Peer, string, *knownhosts.File) {
	t.Helper()
	p, keyPath := testpeer.SSHDUser(t, user, cfg)
	f, _ := pinFile(t, p.Host, p.Port, p.Keys(t)...)
	return p, keyPath, f
}

// The acceptance test of the package: a server whose key does not
// match the pin sees no authentication attempt at all (sshd logs every
// userauth-request at DEBUG1), and no session. The same server with the
// right pin shows the log lines the assertion looks for, so it cannot
// pass for the wrong reason.
func TestSSHDMismatchNoAuthAttempt(t *testing.T) {
	p, key, good := sshdPeer(t, "", testpeer.SSHDConfig{Extra: []string{"LogLevel DEBUG1"}})
	bad, _ := pinFile(t, p.Host, p.Port, newHostKey(t, "ed25519").PublicKey())
	_, err := Dial(context.Background(), sshdOptions(t, p, "", key, bad))
	var hke *HostKeyError
	if !errors.As(err, &hke) || hke.Reason != KeyMismatch {
		t.Fatalf("Dial: %v, want a mismatch", err)
	}
	p.Idle(t)
	log := p.Log()
	// The refused connection reached sshd and ended before authentication.
	if !strings.Contains(log, "[1] ") || !strings.Contains(log, "[preauth]") {
		t.Errorf("sshd did not log the refused connection:\n%s", log)
	}
	for _, s := range []string{"userauth-request", "Failed ", "Accepted ", "Postponed ", "input_userauth"} {
		if strings.Contains(log, s) {
			t.Errorf("sshd logged %q for a refused host:\n%s", s, log)
		}
	}

	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, good))
	if err != nil {
		t.Fatalf("Dial with the right pin: %v\n%s", err, p.Log())
	}
	c.Close()
	p.Idle(t)
	log = p.Log()
	for _, s := range []string{"userauth-request", "Accepted publickey"} {
		if !strings.Contains(log, s) {
			t.Errorf("the control connection did not log %q; the assertion above proves nothing:\n%s", s, log)
		}
	}
}

// Trust on first use pins exactly the line ssh-keyscan prints for the key.
func TestSSHDTrustOnFirstUse(t *testing.T) {
	p, key, _ := sshdPeer(t, "", testpeer.SSHDConfig{})
	empty, path := pinFile(t, p.Host, p.Port)
	o := sshdOptions(t, p, "", key, empty)
	o.TrustOnFirstUse, o.TrustFile = true, path
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	c.Close()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	added := lines[len(lines)-1]
	if !slices.Contains(testpeer.Keyscan(t, p), added) {
		t.Errorf("pinned %q, which ssh-keyscan does not print: %q", added, testpeer.Keyscan(t, p))
	}
}
