package negotiate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
)

// sym builds a KEXINIT with the same cipher, MAC and compression lists both
// ways, as nearly every server sends.
func sym(kex, hk, ciphers, macs, comp []string) *kexinit.KexInit {
	return &kexinit.KexInit{KexAlgos: kex, ServerHostKeyAlgos: hk,
		CiphersClientServer: ciphers, CiphersServerClient: ciphers,
		MACsClientServer: macs, MACsServerClient: macs,
		CompressionClientServer: comp, CompressionServerClient: comp}
}

func client(kex, hk, ciphers, macs, comp []string) Profile {
	return Profile{Name: "test", KexAlgos: kex, HostKeyAlgos: hk, Ciphers: ciphers, MACs: macs, Compression: comp,
		Enable: map[audit.Category]Enabling{}}
}

func l(s ...string) []string { return s }

func TestNegotiateRule(t *testing.T) {
	none := l("none")
	tests := []struct {
		name   string
		server *kexinit.KexInit
		client Profile
		want   map[Slot]string // "" for a failed slot
	}{
		{
			name:   "first client algorithm the server also offers, not the server's first",
			server: sym(l("ecdh-sha2-nistp256", "curve25519-sha256"), l("ssh-ed25519", "rsa-sha2-512"), l("aes128-ctr", "aes256-ctr"), l("hmac-sha2-256", "hmac-sha2-512"), l("zlib@openssh.com", "none")),
			client: client(l("curve25519-sha256", "ecdh-sha2-nistp256"), l("rsa-sha2-512", "ssh-ed25519"), l("aes256-ctr", "aes128-ctr"), l("hmac-sha2-512"), l("none", "zlib@openssh.com")),
			want: map[Slot]string{SlotKex: "curve25519-sha256", SlotHostKey: "rsa-sha2-512", SlotCipherC2S: "aes256-ctr", SlotCipherS2C: "aes256-ctr",
				SlotMACC2S: "hmac-sha2-512", SlotMACS2C: "hmac-sha2-512", SlotCompressionC2S: "none", SlotCompressionS2C: "none"},
		},
		{
			name:   "MAC ignored under AEAD even with no common MAC",
			server: sym(l("curve25519-sha256"), l("ssh-ed25519"), l("aes128-gcm@openssh.com", "aes128-ctr"), l("hmac-sha1"), none),
			client: client(l("curve25519-sha256"), l("ssh-ed25519"), l("aes128-gcm@openssh.com"), l("hmac-sha2-256"), none),
			want: map[Slot]string{SlotKex: "curve25519-sha256", SlotHostKey: "ssh-ed25519", SlotCipherC2S: "aes128-gcm@openssh.com", SlotCipherS2C: "aes128-gcm@openssh.com",
				SlotMACC2S: Implicit, SlotMACS2C: Implicit, SlotCompressionC2S: "none", SlotCompressionS2C: "none"},
		},
		{
			name:   "chacha20-poly1305 is AEAD too",
			server: sym(l("curve25519-sha256"), l("ssh-ed25519"), l("chacha20-poly1305@openssh.com"), l(), none),
			client: client(l("curve25519-sha256"), l("ssh-ed25519"), l("chacha20-poly1305@openssh.com"), l(), none),
			want: map[Slot]string{SlotKex: "curve25519-sha256", SlotHostKey: "ssh-ed25519", SlotCipherC2S: "chacha20-poly1305@openssh.com", SlotCipherS2C: "chacha20-poly1305@openssh.com",
				SlotMACC2S: Implicit, SlotMACS2C: Implicit, SlotCompressionC2S: "none", SlotCompressionS2C: "none"},
		},
		{
			name:   "markers are never chosen",
			server: sym(l("ext-info-s", "kex-strict-s-v00@openssh.com", "kexguess2@matt.ucc.asn.au", "curve25519-sha256"), l("ssh-ed25519"), l("aes128-ctr"), l("hmac-sha2-256"), none),
			client: client(l("ext-info-s", "kexguess2@matt.ucc.asn.au", "curve25519-sha256"), l("ssh-ed25519"), l("aes128-ctr"), l("hmac-sha2-256"), none),
			want: map[Slot]string{SlotKex: "curve25519-sha256", SlotHostKey: "ssh-ed25519", SlotCipherC2S: "aes128-ctr", SlotCipherS2C: "aes128-ctr",
				SlotMACC2S: "hmac-sha2-256", SlotMACS2C: "hmac-sha2-256", SlotCompressionC2S: "none", SlotCompressionS2C: "none"},
		},
		{
			name:   "only markers in common fails",
			server: sym(l("kex-strict-s-v00@openssh.com", "ext-info-c"), l("ssh-ed25519"), l("aes128-ctr"), l("hmac-sha2-256"), none),
			client: client(l("ext-info-c", "curve25519-sha256"), l("ssh-ed25519"), l("aes128-ctr"), l("hmac-sha2-256"), none),
			want: map[Slot]string{SlotKex: "", SlotHostKey: "ssh-ed25519", SlotCipherC2S: "aes128-ctr", SlotCipherS2C: "aes128-ctr",
				SlotMACC2S: "hmac-sha2-256", SlotMACS2C: "hmac-sha2-256", SlotCompressionC2S: "none", SlotCompressionS2C: "none"},
		},
		{
			name: "directions negotiate apart",
			server: &kexinit.KexInit{KexAlgos: l("curve25519-sha256"), ServerHostKeyAlgos: l("ssh-ed25519"),
				CiphersClientServer: l("aes256-ctr"), CiphersServerClient: l("aes128-gcm@openssh.com"),
				MACsClientServer: l("hmac-sha2-512"), MACsServerClient: l("hmac-sha2-512"),
				CompressionClientServer: l("none"), CompressionServerClient: l("zlib@openssh.com")},
			client: client(l("curve25519-sha256"), l("ssh-ed25519"), l("aes128-gcm@openssh.com", "aes256-ctr"), l("hmac-sha2-256", "hmac-sha2-512"), l("none", "zlib@openssh.com")),
			want: map[Slot]string{SlotKex: "curve25519-sha256", SlotHostKey: "ssh-ed25519", SlotCipherC2S: "aes256-ctr", SlotCipherS2C: "aes128-gcm@openssh.com",
				SlotMACC2S: "hmac-sha2-512", SlotMACS2C: Implicit, SlotCompressionC2S: "none", SlotCompressionS2C: "zlib@openssh.com"},
		},
		{
			name:   "empty lists fail every slot, a nil server too",
			server: nil,
			client: client(nil, nil, nil, nil, nil),
			want: map[Slot]string{SlotKex: "", SlotHostKey: "", SlotCipherC2S: "", SlotCipherS2C: "",
				SlotMACC2S: "", SlotMACS2C: "", SlotCompressionC2S: "", SlotCompressionS2C: ""},
		},
		{
			name:   "unknown names negotiate like any other",
			server: sym(l("x-kex@example.com"), l("x-key@example.com"), l("x-cipher"), l("x-mac"), l("x-zip")),
			client: client(l("x-kex@example.com"), l("x-key@example.com"), l("x-cipher"), l("x-mac"), l("x-zip")),
			want: map[Slot]string{SlotKex: "x-kex@example.com", SlotHostKey: "x-key@example.com", SlotCipherC2S: "x-cipher", SlotCipherS2C: "x-cipher",
				SlotMACC2S: "x-mac", SlotMACS2C: "x-mac", SlotCompressionC2S: "x-zip", SlotCompressionS2C: "x-zip"},
		},
	}
	order := []Slot{SlotKex, SlotHostKey, SlotCipherC2S, SlotCipherS2C, SlotMACC2S, SlotMACS2C, SlotCompressionC2S, SlotCompressionS2C}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Negotiate(tt.server, tt.client)
			var slots []Slot
			failed := 0
			for _, c := range r.Choices {
				slots = append(slots, c.Slot)
				if c.Algorithm != tt.want[c.Slot] {
					t.Errorf("%s = %q, want %q", c.Slot, c.Algorithm, tt.want[c.Slot])
				}
				if c.Algorithm == "" {
					failed++
				}
				if r.Chosen(c.Slot) != c.Algorithm {
					t.Errorf("Chosen(%s) disagrees", c.Slot)
				}
			}
			if !reflect.DeepEqual(slots, order) {
				t.Errorf("slots %v, want %v", slots, order)
			}
			if len(r.Failures) != failed || r.OK != (failed == 0) {
				t.Errorf("OK=%v with %d failures for %d failed slots", r.OK, len(r.Failures), failed)
			}
			for _, f := range r.Failures {
				if f.Reason != NoCommonAlgorithm || f.Client == nil || f.Server == nil || f.ClientFix == "" || f.ServerFix == "" {
					t.Errorf("failure %+v", f)
				}
			}
		})
	}
}

func TestFailureFixes(t *testing.T) {
	legacy := sym(l("diffie-hellman-group14-sha1", "kex-strict-s-v00@openssh.com"), l("ssh-rsa"), l("aes128-cbc", "3des-cbc"), l("hmac-sha1"), l("none"))
	tests := []struct {
		profile string
		slot    Slot
		fix     string
		canFix  bool
		server  string
	}{
		{"xcrypto", SlotKex, `ssh.Config{KeyExchanges: append(ssh.SupportedAlgorithms().KeyExchanges, "diffie-hellman-group14-sha1")}`, true, "KexAlgorithms +curve25519-sha256"},
		{"xcrypto", SlotHostKey, `ssh.ClientConfig{HostKeyAlgorithms: append(ssh.SupportedAlgorithms().HostKeys, "ssh-rsa")}`, true, "HostKeyAlgorithms +rsa-sha2-256"},
		{"xcrypto", SlotCipherC2S, `ssh.Config{Ciphers: append(ssh.SupportedAlgorithms().Ciphers, "aes128-cbc")}`, true, "Ciphers +aes128-gcm@openssh.com"},
		{"openssh-10", SlotKex, "ssh -o KexAlgorithms=+diffie-hellman-group14-sha1", true, "KexAlgorithms +curve25519-sha256"},
		{"openssh-10", SlotHostKey, "ssh -o HostKeyAlgorithms=+ssh-rsa", true, "HostKeyAlgorithms +rsa-sha2-512"},
		{"openssh-10", SlotCipherS2C, "ssh -o Ciphers=+aes128-cbc", true, "Ciphers +aes128-gcm@openssh.com"},
		{"paramiko-5", SlotHostKey, `paramiko.Transport._preferred_keys += ("ssh-rsa",)  # unsupported monkeypatch`, true, "HostKeyAlgorithms +rsa-sha2-512"},
		{"dropbear-2022.83", SlotCipherC2S, "no option of dropbear-2022.83 enables any of aes128-cbc, 3des-cbc (dropbear chooses its algorithms at compile time (localoptions.h))", false, "Ciphers +aes128-ctr"},
	}
	for _, tt := range tests {
		p, ok := ProfileByName(tt.profile)
		if !ok {
			t.Fatalf("no profile %s", tt.profile)
		}
		r := Negotiate(legacy, p)
		var f *Failure
		for i := range r.Failures {
			if r.Failures[i].Slot == tt.slot {
				f = &r.Failures[i]
			}
		}
		if f == nil {
			t.Errorf("%s: %s did not fail", tt.profile, tt.slot)
			continue
		}
		if f.ClientFix != tt.fix || f.ClientCanFix != tt.canFix || f.ServerFix != tt.server {
			t.Errorf("%s %s:\n got %q %v %q\nwant %q %v %q", tt.profile, tt.slot, f.ClientFix, f.ClientCanFix, f.ServerFix, tt.fix, tt.canFix, tt.server)
		}
	}
}

func TestClientCannotFixSaysSo(t *testing.T) {
	p, _ := ProfileByName("paramiko-4")
	r := Negotiate(sym(l("sntrup761x25519-sha512"), l("ssh-ed25519"), l("aes128-ctr"), l("hmac-sha2-256"), l("none")), p)
	if r.OK || len(r.Failures) != 1 {
		t.Fatalf("result %+v", r)
	}
	f := r.Failures[0]
	if f.ClientCanFix || !strings.HasPrefix(f.ClientFix, "no option of paramiko-4 enables any of sntrup761x25519-sha512") {
		t.Errorf("client fix %q", f.ClientFix)
	}
	if f.ServerFix != "KexAlgorithms +curve25519-sha256@libssh.org" {
		t.Errorf("server fix %q", f.ServerFix)
	}
}

func TestServerFixHostKey(t *testing.T) {
	tests := []struct {
		client, server []string
		want           string
	}{
		{l("ssh-ed25519", "rsa-sha2-512"), l("ssh-rsa"), "HostKeyAlgorithms +rsa-sha2-512"},
		{l("ssh-ed25519", "ecdsa-sha2-nistp256"), l("ssh-dss"), "HostKey /etc/ssh/ssh_host_ed25519_key (create it with ssh-keygen -t ed25519 -f /etc/ssh/ssh_host_ed25519_key)"},
		{l("rsa-sha2-256"), l("ssh-dss"), "HostKey /etc/ssh/ssh_host_rsa_key (create it with ssh-keygen -t rsa -b 3072 -f /etc/ssh/ssh_host_rsa_key)"},
		{l("x-key"), l("ssh-dss"), "give the server a host key the client accepts: x-key"},
		{l(), l("ssh-dss"), "the client accepts no host key algorithm"},
	}
	for _, tt := range tests {
		if got := hostKeyServerFix(tt.client, tt.server); got != tt.want {
			t.Errorf("hostKeyServerFix(%v, %v) = %q, want %q", tt.client, tt.server, got, tt.want)
		}
	}
}
