package audit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestFixes(t *testing.T) {
	tests := []struct {
		name string
		k    kexinit.KexInit
		want []Fix
	}{
		{
			name: "nothing fails",
			k:    kexinit.KexInit{KexAlgos: []string{"curve25519-sha256", StrictKexServer}, CiphersClientServer: []string{"aes128-ctr"}},
		},
		{
			name: "failing names removed in server order, markers never listed",
			k: kexinit.KexInit{
				KexAlgos:            []string{"diffie-hellman-group1-sha1", "curve25519-sha256", "ext-info-s", "diffie-hellman-group14-sha1", StrictKexServer},
				CiphersClientServer: []string{"aes128-cbc", "3des-cbc"}, CiphersServerClient: []string{"3des-cbc", "arcfour", "aes256-ctr"},
			},
			want: []Fix{
				{Keyword: "KexAlgorithms", Remove: []string{"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"},
					Line:     "KexAlgorithms -diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
					Explicit: "KexAlgorithms curve25519-sha256"},
				{Keyword: "Ciphers", Remove: []string{"3des-cbc", "arcfour"},
					Line:     "Ciphers -3des-cbc,arcfour",
					Explicit: "Ciphers aes256-ctr"}, // aes128-cbc is a warning: never suggested
			},
		},
		{
			name: "Terrapin removes chacha20 and the CBC ciphers, keeps the EtM MAC",
			k: kexinit.KexInit{
				KexAlgos:            []string{"curve25519-sha256"},
				CiphersClientServer: []string{"chacha20-poly1305@openssh.com", "aes128-cbc", "aes128-ctr"},
				MACsClientServer:    []string{"hmac-sha2-256-etm@openssh.com"},
			},
			want: []Fix{{Keyword: "Ciphers", Remove: []string{"chacha20-poly1305@openssh.com", "aes128-cbc"},
				Line: "Ciphers -chacha20-poly1305@openssh.com,aes128-cbc", Explicit: "Ciphers aes128-ctr"}},
		},
		{
			name: "only ssh-rsa: sign with SHA-2 instead",
			k:    kexinit.KexInit{ServerHostKeyAlgos: []string{"ssh-rsa", "ssh-rsa-cert-v01@openssh.com"}},
			want: []Fix{{Keyword: "HostKeyAlgorithms", Remove: []string{"ssh-rsa", "ssh-rsa-cert-v01@openssh.com"},
				Line:     "HostKeyAlgorithms -ssh-rsa,ssh-rsa-cert-v01@openssh.com",
				Explicit: "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com",
				Note:     "the RSA host key can sign with SHA-2 (OpenSSH 7.2 and later)"}},
		},
		{
			name: "only DSA: a new key is needed",
			k:    kexinit.KexInit{ServerHostKeyAlgos: []string{"ssh-dss"}},
			want: []Fix{{Keyword: "HostKeyAlgorithms", Remove: []string{"ssh-dss"}, Line: "HostKeyAlgorithms -ssh-dss",
				Explicit: "HostKeyAlgorithms ssh-ed25519",
				Note:     "no host key is acceptable: generate one (ssh-keygen -t ed25519 -f /etc/ssh/ssh_host_ed25519_key) and name it in a HostKey line"}},
		},
		{
			// The legacy server of the issue: "Ciphers aes128-cbc" was once
			// suggested. EtM replacements beside CBC without strict kex
			// would open Terrapin, so the CBC cipher goes too.
			name: "only SHA-1 MACs beside CBC without strict kex: CBC replaced as well",
			k: kexinit.KexInit{
				CiphersClientServer: []string{"aes128-cbc"},
				MACsClientServer:    []string{"hmac-sha1", "hmac-md5"},
			},
			want: []Fix{
				{Keyword: "Ciphers", Remove: []string{"aes128-cbc"}, Line: "Ciphers -aes128-cbc",
					Explicit: "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr",
					Note:     "none of the offered names would remain, so the explicit list names replacements; check that `sshd -Q cipher` lists them first: sshd refuses to start on a name it does not implement"},
				{Keyword: "MACs", Remove: []string{"hmac-sha1", "hmac-md5"}, Line: "MACs -hmac-sha1,hmac-md5",
					Explicit: "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
					Note:     "none of the offered names would remain, so the explicit list names replacements; check that `sshd -Q mac` lists them first: sshd refuses to start on a name it does not implement"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fixes(&tt.k, CheckTerrapin(&tt.k), Options{})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			for _, f := range got {
				for _, n := range strings.Split(strings.TrimPrefix(f.Explicit, f.Keyword+" "), ",") {
					if n != "" && Rate(categoryOfKeyword(f.Keyword), n, Options{}).Rating != OK {
						t.Errorf("%s suggests %s, rated %s", f.Explicit, n, Rate(categoryOfKeyword(f.Keyword), n, Options{}).Rating)
					}
				}
			}
		})
	}
}
