package audit

import (
	"strings"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestAdviceSpeaksTheServersLanguage(t *testing.T) {
	legacy := &kexinit.KexInit{
		KexAlgos:            []string{"curve25519-sha256", "diffie-hellman-group14-sha1"},
		ServerHostKeyAlgos:  []string{"rsa-sha2-256", "ssh-rsa"},
		CiphersClientServer: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes128-cbc"}, CiphersServerClient: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes128-cbc"},
		MACsClientServer: []string{"hmac-sha1", "hmac-sha2-256"}, MACsServerClient: []string{"hmac-sha1", "hmac-sha2-256"},
	}
	tests := []struct {
		banner    string
		fixes     bool     // sshd_config lines
		want, not []string // substrings of the advice
	}{
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", true, []string{"add: KexAlgorithms +sntrup761x25519-sha512@openssh.com", "add: ssh-keygen -t ed25519", "upgrade to OpenSSH 9.6"}, []string{"aes128-cbc,", "DROPBEAR"}},
		{"SSH-2.0-OpenSSH_10.0", true, []string{"KexAlgorithms +mlkem768x25519-sha256"}, []string{"OpenSSH 9.6"}},
		{"SSH-2.0-OpenSSH_7.4", true, []string{"upgrade: upgrade to OpenSSH 9.9"}, nil},
		{"SSH-2.0-dropbear_2022.83", false, []string{"#define DROPBEAR_DH_GROUP14_SHA1 0", "#define DROPBEAR_RSA_SHA1 0", "#define DROPBEAR_SHA1_HMAC 0", "#define DROPBEAR_CHACHA20POLY1305 0", "dropbear 2024.84", "dropbear 2025.87", "dropbearkey -t ed25519"}, []string{"sshd_config", "KexAlgorithms"}},
		{"SSH-2.0-paramiko_2.12.0", false, []string{`disabled_algorithms={"kex": ["diffie-hellman-group14-sha1"], "keys": ["ssh-rsa"]`, "paramiko to 3.4.0"}, []string{"KexAlgorithms"}},
		{"SSH-2.0-AsyncSSH_2.13.0", false, []string{`kex_algs=["curve25519-sha256"]`, `signature_algs=["rsa-sha2-256"]`, "AsyncSSH to 2.14.2"}, []string{"aes128-cbc", `"hmac-sha2-256"`}},
		{"SSH-2.0-tinyssh_noversion", false, []string{"upgrade: tinysshd has no algorithm settings"}, []string{"KexAlgorithms"}},
		{"SSH-2.0-Go", false, []string{"ssh.Config{KeyExchanges: []string{\"curve25519-sha256\"}}", "ssh.NewSignerWithAlgorithms"}, []string{"aes128-cbc"}},
		{"SSH-2.0-Cisco-1.25", false, []string{"stop offering diffie-hellman-group14-sha1"}, []string{"KexAlgorithms"}},
	}
	for _, tt := range tests {
		r := AuditServer(&Server{KexInit: legacy, Banner: tt.banner}, Options{})
		var lines []string
		for _, a := range r.Advice {
			lines = append(lines, a.Kind+": "+a.Text)
		}
		all := strings.Join(lines, "\n")
		if (len(r.Fixes) > 0) != tt.fixes {
			t.Errorf("%s: %d sshd_config fixes, want them %v", tt.banner, len(r.Fixes), tt.fixes)
		}
		for _, w := range tt.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: advice lacks %q:\n%s", tt.banner, w, all)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(all, n) {
				t.Errorf("%s: advice has %q:\n%s", tt.banner, n, all)
			}
		}
	}
}

func TestSoftwareOf(t *testing.T) {
	for banner, want := range map[string]Software{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2": OpenSSH, "SSH-2.0-dropbear_2022.83": Dropbear, "SSH-2.0-dropbear": Dropbear,
		"SSH-2.0-paramiko_3.4.0": Paramiko, "SSH-2.0-AsyncSSH_2.14.2": AsyncSSH, "SSH-2.0-Go": GoXCrypto,
		"SSH-2.0-tinyssh_noversion": TinySSH, "SSH-2.0-ROSSSH": UnknownSoftware, "": UnknownSoftware,
	} {
		if got, _ := SoftwareOf(banner); got != want {
			t.Errorf("SoftwareOf(%q) = %q, want %q", banner, got, want)
		}
	}
}
