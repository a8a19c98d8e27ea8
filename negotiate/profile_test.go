package negotiate

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
)

var categories = []audit.Category{audit.Kex, audit.HostKeyAlg, audit.Cipher, audit.MAC, audit.Compression}

func TestProfilesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Profiles() {
		if p.Name == "" || p.Description == "" || seen[p.Name] || p.SetHostKeyAlgorithms == "" {
			t.Errorf("%q: empty or duplicate name, description or host key option", p.Name)
		}
		seen[p.Name] = true
		for _, cat := range categories {
			list := p.list(cat)
			if len(audit.WithoutMarkers(list)) == 0 {
				t.Errorf("%s %s: empty list", p.Name, cat)
			}
			if len(list) != len(slices.Compact(slices.Clone(list))) {
				t.Errorf("%s %s: repeated name", p.Name, cat)
			}
			e, ok := p.Enable[cat]
			if !ok || e.Otherwise == "" {
				t.Errorf("%s %s: no Enable entry", p.Name, cat)
			}
			if len(e.Available) > 0 && e.Option == "" {
				t.Errorf("%s %s: available names but no option", p.Name, cat)
			}
			for _, n := range slices.Concat(list, e.Available) {
				if cat != audit.Kex && audit.IsMarker(n) {
					t.Errorf("%s %s: marker %s outside kex", p.Name, cat, n)
				}
				// Every name a known client sends must be rated.
				if !audit.Lookup(cat, n).Known {
					t.Errorf("%s %s: %s unknown to the audit table", p.Name, cat, n)
				}
			}
			for _, n := range e.Available {
				if slices.Contains(list, n) {
					t.Errorf("%s %s: %s both default and available", p.Name, cat, n)
				}
			}
		}
	}
	if _, ok := ProfileByName("nosuch"); ok {
		t.Error("ProfileByName found nosuch")
	}
	if !reflect.DeepEqual(ProfileNames()[:2], []string{"xcrypto", "xcrypto-legacy"}) {
		t.Errorf("ProfileNames() = %v", ProfileNames())
	}
}

func TestProfilesAreCopies(t *testing.T) {
	p, _ := ProfileByName("openssh-10")
	p.KexAlgos[0] = "mutated"
	p.Enable[audit.Kex] = Enabling{}
	q, _ := ProfileByName("openssh-10")
	if q.KexAlgos[0] == "mutated" || q.Enable[audit.Kex].Option == "" {
		t.Error("a caller's edit reached the shared profile")
	}
}

// The captured profiles must be what the clients sent.
func TestProfilesMatchCapturedClients(t *testing.T) {
	for name, file := range map[string]string{
		"openssh-9.2":      "client-openssh-9.2.json",
		"dropbear-2022.83": "client-dropbear-2022.83.json",
		"putty-0.78":       "client-putty-0.78.json",
	} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "audit", "captured", file))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			KexInit kexinit.KexInit `json:"kexinit"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		p, _ := ProfileByName(name)
		checkProfileAgainst(t, p, &c.KexInit)
	}
}

func checkProfileAgainst(t *testing.T, p Profile, k *kexinit.KexInit) {
	t.Helper()
	for _, pair := range []struct {
		what      string
		got, want []string
	}{
		{"kex", p.KexAlgos, k.KexAlgos},
		{"host keys", p.HostKeyAlgos, k.ServerHostKeyAlgos},
		{"ciphers c2s", p.Ciphers, k.CiphersClientServer},
		{"ciphers s2c", p.Ciphers, k.CiphersServerClient},
		{"macs c2s", p.MACs, k.MACsClientServer},
		{"macs s2c", p.MACs, k.MACsServerClient},
		{"compression c2s", p.Compression, k.CompressionClientServer},
		{"compression s2c", p.Compression, k.CompressionServerClient},
	} {
		if !slices.Equal(pair.got, pair.want) {
			t.Errorf("%s %s:\n profile %v\n    sent %v", p.Name, pair.what, pair.got, pair.want)
		}
	}
}

// The xcrypto profiles must be what x/crypto sends when configured from
// them: the client's KEXINIT is read off an in-memory connection.
func TestXCryptoProfilesMatchTheWire(t *testing.T) {
	for _, name := range []string{"xcrypto", "xcrypto-legacy"} {
		p, _ := ProfileByName(name)
		cfg := &ssh.ClientConfig{
			Config: ssh.Config{
				KeyExchanges: audit.WithoutMarkers(p.KexAlgos),
				Ciphers:      p.Ciphers,
				MACs:         p.MACs,
			},
			HostKeyAlgorithms: p.HostKeyAlgos,
			HostKeyCallback:   ssh.InsecureIgnoreHostKey(),
			Timeout:           5 * time.Second,
		}
		// KeyExchanges without the libssh alias: x/crypto adds it itself.
		cfg.KeyExchanges = slices.DeleteFunc(cfg.KeyExchanges, func(k string) bool { return k == "curve25519-sha256@libssh.org" })
		cli, srv := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			ssh.NewClientConn(cli, "pipe", cfg)
		}()
		srv.SetDeadline(time.Now().Add(5 * time.Second))
		go srv.Write([]byte("SSH-2.0-sshpin-test\r\n"))
		h, err := kexinit.ReadHello(srv, kexinit.Limits{})
		srv.Close()
		<-done
		if err != nil {
			t.Fatalf("%s: reading the client's KEXINIT: %v", name, err)
		}
		checkProfileAgainst(t, p, h.KexInit)
	}
}
