package knownhosts

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func writeFiles(t *testing.T, contents ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i, c := range contents {
		p := filepath.Join(dir, "known_hosts"+strings.Repeat("2", min(i, 1))+strings.Repeat("x", max(i-1, 0)))
		if err := os.WriteFile(p, []byte(expand(t, c)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestSetAcrossFiles: the same pins give the same answers whichever file
// holds them, in front of or behind a file about another host (the CLI
// once said "missing" for pins in ~/.ssh/known_hosts2 behind such a file).
func TestSetAcrossFiles(t *testing.T) {
	ed, ecdsa := fixtureKey(t, "server_ed25519"), fixtureKey(t, "server_ecdsa")
	pins := "[a.example.com]:2222 {server_ed25519}\n[a.example.com]:2222 {server_ecdsa}\n"
	other := "b.example.com {other_ed25519}\n"
	for name, files := range map[string][]string{
		"first file":  {pins, other},
		"second file": {other, pins},
		"split":       {"[a.example.com]:2222 {server_ed25519}\n", "[a.example.com]:2222 {server_ecdsa}\n"},
	} {
		t.Run(name, func(t *testing.T) {
			paths := writeFiles(t, files...)
			set, err := Open(append(paths, filepath.Join(t.TempDir(), "missing"))...)
			if err != nil {
				t.Fatal(err)
			}
			m, err := set.Lookup("a.example.com", 2222)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(m.Types(), " "); got != "ssh-ed25519 ecdsa-sha2-nistp256" || m.Name != "[a.example.com]:2222" || m.PortFallback {
				t.Errorf("types %q, name %q, fallback %v", got, m.Name, m.PortFallback)
			}
			for _, k := range []ssh.PublicKey{ed, ecdsa} {
				if err := set.HostKeyCallback()("a.example.com:2222", anyRemote, k); err != nil {
					t.Errorf("%s: %v", k.Type(), err)
				}
			}
			if got := strings.Join(set.HostKeyAlgorithms("a.example.com:2222"), " "); got != "ssh-ed25519 ecdsa-sha2-nistp256" {
				t.Errorf("HostKeyAlgorithms = %q", got)
			}
			var ce *ChangedError
			err = set.HostKeyCallback()("a.example.com:2222", anyRemote, fixtureKey(t, "other_ed25519"))
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "known_hosts") {
				t.Errorf("wrong key: %v", err)
			}
		})
	}
}

// TestSetTypedErrors: what an embedder tells apart with errors.As.
func TestSetTypedErrors(t *testing.T) {
	paths := writeFiles(t, "a.example.com {server_ed25519}\n", "@revoked * {other_rsa}\n")
	set, err := Open(paths...)
	if err != nil {
		t.Fatal(err)
	}
	cb := set.HostKeyCallback()
	var ce *ChangedError
	var ue *UnknownError
	var re *RevokedError
	if err := cb("a.example.com:22", anyRemote, fixtureKey(t, "other_ed25519")); !errors.As(err, &ce) || ce.Want[0].Pos() != paths[0]+":1" {
		t.Errorf("changed: %v", err)
	}
	if err := cb("b.example.com", anyRemote, fixtureKey(t, "server_ed25519")); !errors.As(err, &ue) {
		t.Errorf("unknown: %v", err)
	}
	if err := cb("a.example.com", anyRemote, fixtureKey(t, "other_rsa")); !errors.As(err, &re) || !strings.Contains(err.Error(), paths[1]+":1") {
		t.Errorf("revoked in another file: %v", err)
	}
	if got := set.HostKeyAlgorithms("b.example.com:22"); got != nil {
		t.Errorf("unknown host: HostKeyAlgorithms = %v, want nil", got)
	}
}

func TestDefaultFiles(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	got, err := DefaultFiles()
	if err != nil || strings.Join(got, " ") != "/home/u/.ssh/known_hosts /home/u/.ssh/known_hosts2" {
		t.Errorf("DefaultFiles = %q, %v", got, err)
	}
	for _, home := range []string{"", "relative/dir"} {
		t.Setenv("HOME", home)
		if got, err := DefaultFiles(); err == nil {
			t.Errorf("HOME=%q: %q, want an error", home, got)
		}
	}
}

// TestTrustOnFirstUse: the one rule, for check and sftp alike.
func TestTrustOnFirstUse(t *testing.T) {
	ed := fixtureKey(t, "server_ed25519")
	t.Run("writes, then the set knows", func(t *testing.T) {
		paths := writeFiles(t, "b.example.com {other_ed25519}\n")
		set, _ := Open(paths...)
		n, err := set.TrustOnFirstUse(paths[0], "a.example.com", 22, ed)
		if err != nil || n != 1 {
			t.Fatalf("TrustOnFirstUse = %d, %v", n, err)
		}
		if err := set.HostKeyCallback()("a.example.com:22", anyRemote, ed); err != nil {
			t.Errorf("after trusting: %v", err)
		}
	})
	t.Run("pinned meanwhile: verified against the fresh file", func(t *testing.T) {
		paths := writeFiles(t, "")
		set, _ := Open(paths...)
		// Another run pins a different key after this Set was read.
		if err := os.WriteFile(paths[0], []byte(expand(t, "a.example.com {other_ed25519}\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		var ce *ChangedError
		if _, err := set.TrustOnFirstUse(paths[0], "a.example.com", 22, ed); !errors.As(err, &ce) {
			t.Fatalf("got %v, want a ChangedError", err)
		}
		if b, _ := os.ReadFile(paths[0]); strings.Count(string(b), "\n") != 1 {
			t.Errorf("file written:\n%s", b)
		}
	})
	t.Run("pinned in another file of the set", func(t *testing.T) {
		paths := writeFiles(t, "", "a.example.com {other_ed25519}\n")
		set, _ := Open(paths[0])
		set.names = paths // as if both were opened, the second written later
		var ce *ChangedError
		if _, err := set.TrustOnFirstUse(paths[0], "a.example.com", 22, ed); !errors.As(err, &ce) {
			t.Fatalf("got %v, want a ChangedError", err)
		}
	})
	t.Run("an unreadable line naming the host blocks it", func(t *testing.T) {
		paths := writeFiles(t, "a.example.com ssh-ed25519 AAAA\nc.example.com {other_ed25519}\n")
		set, _ := Open(paths...)
		var ue *UnreadableError
		_, err := set.TrustOnFirstUse(paths[0], "a.example.com", 22, ed)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), paths[0]+":1") {
			t.Fatalf("got %v, want an UnreadableError naming %s:1", err, paths[0])
		}
		// Another host is not blocked by it.
		if _, err := set.TrustOnFirstUse(paths[0], "d.example.com", 22, ed); err != nil {
			t.Errorf("another host: %v", err)
		}
	})
	t.Run("two at once write once", func(t *testing.T) {
		paths := writeFiles(t, "")
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				set, err := Open(paths...)
				if err == nil {
					_, err = set.TrustOnFirstUse(paths[0], "a.example.com", 22, ed)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if b, _ := os.ReadFile(paths[0]); strings.Count(string(b), "\n") != 1 {
			t.Errorf("file:\n%s", b)
		}
	})
}

// TestPlanRefusesBesideUnreadableLines: the fail-safe for pin. A line
// OpenSSH may read and sshpin cannot, naming the host, must not be
// overridden by a key appended next to it.
func TestPlanRefusesBesideUnreadableLines(t *testing.T) {
	ed := fixtureKey(t, "server_ed25519")
	for name, content := range map[string]string{
		"unknown key type":    "a.example.com ssh-foo@example.com AAAAE3NzaC1mb29AZXhhbXBsZS5jb20AAAAEAQIDBA==\n",
		"malformed key":       "a.example.com ssh-ed25519 AAAA\n",
		"by a pattern":        "*.example.com ssh-ed25519 AAAA\n",
		"bare host of a port": "a.example.com ssh-ed25519 AAAA\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := mustParse(t, content)
			port := 22
			if name == "bare host of a port" {
				port = 2222
			}
			var ue *UnreadableError
			if _, err := f.Plan("a.example.com", port, []ssh.PublicKey{ed}, MergeOptions{}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "known_hosts:1") {
				t.Fatalf("Plan = %v, want an UnreadableError naming known_hosts:1", err)
			}
		})
	}
	// Lines OpenSSH itself skips for every host do not block.
	f := mustParse(t, expand(t, "@cert-authority\t*.example.com {ca}\n|1|AAAA|x {server_ed25519}\n"))
	if _, err := f.Plan("a.example.com", 22, []ssh.PublicKey{ed}, MergeOptions{}); err != nil {
		t.Errorf("Plan beside lines naming no host: %v", err)
	}
}
