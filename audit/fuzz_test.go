package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

// FuzzParsePolicy: any policy file parses or fails with an "audit: " error
// naming a line, never panics; a policy that parses can be checked against
// a server without panicking, and a check says passed only with no
// finding.
func FuzzParsePolicy(f *testing.F) {
	for _, text := range builtinPolicies {
		f.Add(text)
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "audit", "ssh-audit", "*.policy"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("host_key_sizes = {\"ssh-rsa\": {\"hostkey_size\": 0}}")
	f.Add("dh_modulus_sizes = {\"diffie-hellman-group-exchange-sha256\": 99999999999}")
	f.Add("cakey_size_ssh-rsa-cert-v01@openssh.com = 4096\nhostkey_size_ssh-rsa-cert-v01@openssh.com = 4096")
	f.Add("banner = \"SSH-2.0-x\\n\"\nkey exchanges = kex-strict-s-v00@openssh.com\nallow_algorithm_subset_and_reordering = true")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(strings.NewReader(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "audit: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		srv := &Server{
			KexInit: &kexinit.KexInit{KexAlgos: []string{"curve25519-sha256", "diffie-hellman-group-exchange-sha256", StrictKexServer},
				ServerHostKeyAlgos: []string{"ssh-ed25519", "rsa-sha2-512"}, CiphersClientServer: []string{"aes128-ctr"}, CiphersServerClient: []string{"aes128-ctr"}},
			Banner:        "SSH-2.0-OpenSSH_9.2",
			Keys:          []HostKey{{Type: "ssh-ed25519", Bits: 256}, {Type: "ssh-rsa", Bits: 3072}},
			KeysCollected: true,
			GEX:           &GroupExchange{Modern: &ModulusMeasure{Bits: 3072}, Smallest: &ModulusMeasure{Bits: 2048}},
		}
		fs := p.CheckServer(srv)
		if v := p.Verdict(fs); (v.Result == PolicyPassed) != (len(fs) == 0) {
			t.Fatalf("verdict %+v with %d findings", v, len(fs))
		}
	})
}

// FuzzParsePublicKey: any blob parses or fails, never panics, and the
// weak-key tests run on whatever parses.
func FuzzParsePublicKey(f *testing.F) {
	for _, b := range seedBlobs() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		k, err := ParsePublicKey(blob)
		if err != nil {
			return
		}
		_ = k.Bits()
		_ = weakKeyFindings(HostKey{Type: k.Type, Bits: k.Bits(), Blob: blob})
	})
}
