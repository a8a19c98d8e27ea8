package check

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func checkOne(t *testing.T, file, addr string, presented ssh.PublicKey) *Host {
	t.Helper()
	f, err := knownhosts.Parse(strings.NewReader(file), "pins")
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Lookup(tg.Host, tg.Port)
	if err != nil {
		t.Fatal(err)
	}
	return Diff(m, &scan.Result{Target: tg, Keys: []scan.Key{scan.NewKey(presented, presented.Type())}})
}

func line(host string, k ssh.PublicKey) string {
	return host + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + "\n"
}

// Off port 22, OpenSSH borrows the bare host's pins only to accept a
// matching key. A different key was reported as "changed" (a machine in the
// middle) while pin added it without --replace and ssh called it unknown.
func TestCheckPortFallbackMismatchIsNewNotChanged(t *testing.T) {
	pinned, other := newKey(t), newKey(t)
	file := line("127.0.0.1", pinned)

	h := checkOne(t, file, "127.0.0.1:2201", other)
	if len(h.Keys) != 1 || h.Keys[0].Status != StatusNew {
		t.Fatalf("mismatch through the fallback: %+v, want one new row", h.Keys)
	}
	if h.Name != "[127.0.0.1]:2201" {
		t.Errorf("host shown as %q", h.Name)
	}

	h = checkOne(t, file, "127.0.0.1:2201", pinned)
	if len(h.Keys) != 1 || h.Keys[0].Status != StatusOK {
		t.Fatalf("match through the fallback: %+v, want ok", h.Keys)
	}

	// On the pinned name itself a different key is still the MITM case.
	h = checkOne(t, file, "127.0.0.1", other)
	if len(h.Keys) != 1 || h.Keys[0].Status != StatusChanged {
		t.Fatalf("mismatch on port 22: %+v, want changed", h.Keys)
	}
}

func TestCheckRevokedWithoutPins(t *testing.T) {
	k := newKey(t)
	h := checkOne(t, line("@revoked *", k), "127.0.0.1:2201", k)
	if len(h.Keys) != 1 || h.Keys[0].Status != StatusRevoked {
		t.Fatalf("%+v, want revoked", h.Keys)
	}
}
