package knownhosts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestPin(t *testing.T) {
	ed, ec := fixtureKey(t, "server_ed25519"), fixtureKey(t, "server_ecdsa")
	other := newKey(t)
	for _, c := range []struct {
		name   string
		file   string // "" for no file
		host   string
		keys   []ssh.PublicKey
		opts   MergeOptions
		status PinStatus
		reason string // a substring of Reason
		added  int
	}{
		{name: "new file", host: "a.example.com", keys: []ssh.PublicKey{ed, ec}, status: StatusPinned, added: 2},
		{name: "already pinned", file: "a.example.com " + authorized(ed) + "\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed}, status: StatusUnchanged},
		{name: "one more type", file: "a.example.com " + authorized(ed) + "\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed, ec}, status: StatusPinned, added: 1},
		{name: "changed", file: "a.example.com " + authorized(other) + "\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed}, status: StatusRefused},
		{name: "changed, replaced", file: "a.example.com " + authorized(other) + "\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed}, opts: MergeOptions{Replace: true}, status: StatusPinned, added: 1},
		{name: "revoked", file: "@revoked * " + authorized(ed) + "\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed}, status: StatusRefused, reason: "is revoked"},
		{name: "beside an unreadable line", file: "a.example.com ssh-ed25519 AAAA\n", host: "a.example.com",
			keys: []ssh.PublicKey{ed}, status: StatusFailed, reason: "known_hosts:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "known_hosts")
			if c.file != "" {
				if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			h := &HostPin{Host: c.host, Port: 22, Keys: c.keys}
			if err := Pin(path, []*HostPin{h}, c.opts); err != nil {
				t.Fatal(err)
			}
			if h.Status != c.status || !strings.Contains(h.Reason, c.reason) {
				t.Fatalf("Status %q, Reason %q; want %q, with %q", h.Status, h.Reason, c.status, c.reason)
			}
			if c.reason != "" && strings.HasPrefix(h.Reason, "knownhosts: ") {
				t.Errorf("Reason %q keeps the package prefix", h.Reason)
			}
			if c.status == StatusRefused && c.reason == "" && (h.Change == nil || !h.Change.Conflict()) {
				t.Errorf("a refused change without its conflict: %+v", h.Change)
			}
			if h.Change != nil && c.status != StatusRefused && len(h.Change.Added) != c.added {
				t.Errorf("%d added, want %d", len(h.Change.Added), c.added)
			}
			b, _ := os.ReadFile(path)
			if wrote := string(b) != c.file; wrote != (c.status == StatusPinned) {
				t.Errorf("file now %q (was %q): written %v, status %s", b, c.file, wrote, h.Status)
			}
		})
	}
}

// One host refused does not stop the others; no host at all touches
// nothing, not even the lock file.
func TestPinHosts(t *testing.T) {
	ed, other := fixtureKey(t, "server_ed25519"), newKey(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "known_hosts")
	if err := Pin(path, nil, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatalf("Pin of no host left %v", names)
	}
	os.WriteFile(path, []byte("a.example.com "+authorized(other)+"\n"), 0o644)
	a := &HostPin{Host: "a.example.com", Port: 22, Keys: []ssh.PublicKey{ed}}
	b := &HostPin{Host: "b.example.com", Port: 2222, Keys: []ssh.PublicKey{ed}}
	if err := Pin(path, []*HostPin{a, b}, MergeOptions{}); err != nil {
		t.Fatal(err)
	}
	if a.Status != StatusRefused || b.Status != StatusPinned {
		t.Errorf("statuses %q, %q; want refused, pinned", a.Status, b.Status)
	}
	got, _ := os.ReadFile(path)
	if want := "a.example.com " + authorized(other) + "\n[b.example.com]:2222 " + authorized(ed) + "\n"; string(got) != want {
		t.Errorf("file %q, want %q", got, want)
	}
	// A file that cannot be read is the run's error, not a host's.
	if err := Pin(dir, []*HostPin{{Host: "c.example.com", Port: 22, Keys: []ssh.PublicKey{ed}}}, MergeOptions{}); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("Pin into a directory: %v", err)
	}
}
