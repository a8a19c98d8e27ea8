package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// TestPinRefusesBesideUnreadableLine: a line naming the host that sshpin
// cannot read blocks the pin, naming file:line, and leaves the file alone;
// before, pin appended keys next to it, and a pin ssh could enforce there
// was overridden.
func TestPinRefusesBesideUnreadableLine(t *testing.T) {
	p := testpeer.Modern(t)
	file := filepath.Join(t.TempDir(), "host.keys")
	content := hostField(p) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA\nother.example " + strings.Join([]string{edKey(t, p).typ, edKey(t, p).b64}, " ") + "\n"
	writeFile(t, file, content)
	r := sshpin("pin", "--pinned", file, p.Addr)
	if r.code != 2 || !strings.Contains(r.stdout, file+":1: ") || !strings.Contains(r.stdout, "not pinned") {
		t.Errorf("pin beside an unreadable line: want exit 2 naming %s:1\n%s", file, r)
	}
	if got := string(readFile(t, file)); got != content {
		t.Errorf("the file changed:\n%s", got)
	}
	r = sshpin("check", "--pinned", file, "--trust-on-first-use", p.Addr)
	if r.code != 1 || !strings.Contains(r.stderr, "not trusted on first use") || !strings.Contains(r.stderr, file+":1") {
		t.Errorf("check --trust-on-first-use beside an unreadable line: want exit 1 naming %s:1\n%s", file, r)
	}
	if got := string(readFile(t, file)); got != content {
		t.Errorf("the file changed:\n%s", got)
	}
}

// TestCheckDefaultFilesAgree: the same pins give the same verdict from
// ~/.ssh/known_hosts and from ~/.ssh/known_hosts2 behind a file about
// another host (before, the second said "missing" for a type the bare
// host's pins had and this port did not offer).
func TestCheckDefaultFilesAgree(t *testing.T) {
	p := testpeer.Modern(t)
	var pins strings.Builder
	for _, k := range peerKeys(t, p) {
		pins.WriteString(p.Host + " " + k.typ + " " + k.b64 + "\n") // the bare host: OpenSSH falls back to it
	}
	// A type this server does not offer, pinned for the bare host only.
	pins.WriteString(p.Host + " " + strings.TrimSpace(string(readFile(t, filepath.Join("testdata", "knownhosts", "keys", "other_ecdsa384.pub")))) + "\n")
	other := "other.example " + edKey(t, p).typ + " " + edKey(t, p).b64 + "\n"
	for name, files := range map[string][2]string{
		"known_hosts":               {pins.String(), ""},
		"known_hosts2 behind other": {other, pins.String()},
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("HOME", home)
			os.Mkdir(filepath.Join(home, ".ssh"), 0o700)
			writeFile(t, filepath.Join(home, ".ssh", "known_hosts"), files[0])
			writeFile(t, filepath.Join(home, ".ssh", "known_hosts2"), files[1])
			r := sshpin("check", p.Addr)
			if r.code != 0 {
				t.Errorf("check: %s", r)
			}
		})
	}
}

// TestCheckWithoutHome: with $HOME unknown, check and sftp refuse to
// guess where ~/.ssh is, the same way, rather than read relative paths.
func TestCheckWithoutHome(t *testing.T) {
	t.Setenv("HOME", "")
	for _, args := range [][]string{{"check", "127.0.0.1:1"}, {"sftp", "ls", "127.0.0.1:/"}} {
		r := sshpin(args...)
		if r.code != 2 || !strings.Contains(r.stderr, "$HOME") {
			t.Errorf("%s without $HOME: %s", strings.Join(args, " "), r)
		}
	}
}
