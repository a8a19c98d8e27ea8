package audit

import (
	"reflect"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestCheckTerrapin(t *testing.T) {
	strict := []string{"curve25519-sha256", StrictKexServer}
	plain := []string{"curve25519-sha256", "ext-info-s"}
	tests := []struct {
		name     string
		k        kexinit.KexInit
		exposed  bool
		strictOK bool
		vectors  []TerrapinVector
	}{
		{
			name:    "chacha both ways, no strict kex",
			k:       kexinit.KexInit{KexAlgos: plain, CiphersClientServer: []string{"aes128-ctr", "chacha20-poly1305@openssh.com"}, CiphersServerClient: []string{"chacha20-poly1305@openssh.com"}},
			exposed: true,
			vectors: []TerrapinVector{{Direction: Both, Ciphers: []string{"chacha20-poly1305@openssh.com"}}},
		},
		{
			name:     "chacha with strict kex",
			k:        kexinit.KexInit{KexAlgos: strict, CiphersClientServer: []string{"chacha20-poly1305@openssh.com"}, CiphersServerClient: []string{"chacha20-poly1305@openssh.com"}},
			strictOK: true,
			vectors:  []TerrapinVector{{Direction: Both, Ciphers: []string{"chacha20-poly1305@openssh.com"}}},
		},
		{
			name: "CBC with EtM in one direction only",
			k: kexinit.KexInit{KexAlgos: plain,
				CiphersClientServer: []string{"aes128-cbc", "aes128-ctr"}, CiphersServerClient: []string{"aes128-ctr"},
				MACsClientServer: []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-256"}, MACsServerClient: []string{"hmac-sha2-256-etm@openssh.com"}},
			exposed: true,
			vectors: []TerrapinVector{{Direction: ClientToServer, Ciphers: []string{"aes128-cbc"}, MACs: []string{"hmac-sha2-256-etm@openssh.com"}}},
		},
		{
			name: "CBC without EtM is not exposed",
			k: kexinit.KexInit{KexAlgos: plain,
				CiphersClientServer: []string{"aes256-cbc", "3des-cbc"}, CiphersServerClient: []string{"aes256-cbc", "3des-cbc"},
				MACsClientServer: []string{"hmac-sha1"}, MACsServerClient: []string{"hmac-sha1"}},
		},
		{
			name: "EtM without CBC is not exposed",
			k: kexinit.KexInit{KexAlgos: plain,
				CiphersClientServer: []string{"aes128-ctr"}, CiphersServerClient: []string{"aes128-ctr"},
				MACsClientServer: []string{"hmac-sha2-256-etm@openssh.com"}, MACsServerClient: []string{"hmac-sha2-256-etm@openssh.com"}},
		},
		{
			name: "lysator rijndael counts as CBC, both vectors both ways",
			k: kexinit.KexInit{KexAlgos: plain,
				CiphersClientServer: []string{"chacha20-poly1305@openssh.com", "rijndael-cbc@lysator.liu.se"}, CiphersServerClient: []string{"chacha20-poly1305@openssh.com", "rijndael-cbc@lysator.liu.se"},
				MACsClientServer: []string{"umac-64-etm@openssh.com"}, MACsServerClient: []string{"umac-64-etm@openssh.com"}},
			exposed: true,
			vectors: []TerrapinVector{
				{Direction: Both, Ciphers: []string{"chacha20-poly1305@openssh.com"}},
				{Direction: Both, Ciphers: []string{"rijndael-cbc@lysator.liu.se"}, MACs: []string{"umac-64-etm@openssh.com"}},
			},
		},
		{
			name:    "different vectors per direction",
			k:       kexinit.KexInit{KexAlgos: nil, CiphersClientServer: []string{"chacha20-poly1305@openssh.com"}, CiphersServerClient: []string{"aes128-cbc"}, MACsServerClient: []string{"hmac-sha1-etm@openssh.com"}},
			exposed: true,
			vectors: []TerrapinVector{
				{Direction: ClientToServer, Ciphers: []string{"chacha20-poly1305@openssh.com"}},
				{Direction: ServerToClient, Ciphers: []string{"aes128-cbc"}, MACs: []string{"hmac-sha1-etm@openssh.com"}},
			},
		},
		{name: "empty", k: kexinit.KexInit{}},
		{name: "client marker does not count", k: kexinit.KexInit{KexAlgos: []string{"kex-strict-c-v00@openssh.com"}, CiphersClientServer: []string{"chacha20-poly1305@openssh.com"}},
			exposed: true, vectors: []TerrapinVector{{Direction: ClientToServer, Ciphers: []string{"chacha20-poly1305@openssh.com"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckTerrapin(&tt.k)
			if got.Exposed != tt.exposed || got.StrictKex != tt.strictOK || !reflect.DeepEqual(got.Vectors, tt.vectors) {
				t.Errorf("got %+v\nwant exposed=%v strict=%v vectors=%+v", got, tt.exposed, tt.strictOK, tt.vectors)
			}
			fs := terrapinFindings(got)
			if len(fs) == 0 {
				t.Fatal("no Terrapin finding")
			}
			for _, f := range fs {
				want := OK
				if tt.exposed {
					want = Fail
				}
				if f.Severity != want || f.Category != Terrapin {
					t.Errorf("finding %+v, want severity %s", f, want)
				}
			}
		})
	}
	if got := CheckTerrapin(nil); got.Exposed || got.Vectors != nil {
		t.Errorf("CheckTerrapin(nil) = %+v", got)
	}
}
