package negotiate

import (
	"reflect"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestPinnedPitfall(t *testing.T) {
	xc, _ := ProfileByName("xcrypto")
	ossh, _ := ProfileByName("openssh-10")
	server := func(hk ...string) *kexinit.KexInit { return &kexinit.KexInit{ServerHostKeyAlgos: hk} }
	tests := []struct {
		name    string
		server  *kexinit.KexInit
		client  Profile
		pinned  []string
		want    *Pitfall
		wantNil bool
	}{
		{
			name:   "Ed25519 pinned, x/crypto prefers the server's RSA key",
			server: server("rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"),
			client: xc, pinned: []string{"ssh-ed25519"},
			want: &Pitfall{Negotiated: "rsa-sha2-256", NegotiatedType: "ssh-rsa", Pinned: []string{"ssh-ed25519"},
				HostKeyAlgorithms: []string{"ssh-ed25519"},
				Option:            `ssh.ClientConfig{HostKeyAlgorithms: []string{"ssh-ed25519"}}`},
		},
		{
			name:   "pinned type would be chosen anyway",
			server: server("ssh-ed25519", "rsa-sha2-512"), client: xc, pinned: []string{"ssh-rsa", "ssh-ed25519"}, wantNil: true,
		},
		{
			name:   "the RSA family counts as ssh-rsa",
			server: server("rsa-sha2-512"), client: xc, pinned: []string{"ssh-rsa"}, wantNil: true,
		},
		{
			name:   "old server signs RSA only with SHA-1: the legacy name joins the list",
			server: server("ssh-ed25519", "ssh-rsa"), client: xc, pinned: []string{"ssh-rsa"},
			want: &Pitfall{Negotiated: "ssh-ed25519", NegotiatedType: "ssh-ed25519", Pinned: []string{"ssh-rsa"},
				HostKeyAlgorithms: []string{"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"},
				Option:            `ssh.ClientConfig{HostKeyAlgorithms: []string{"rsa-sha2-256", "rsa-sha2-512", "ssh-rsa"}}`},
		},
		{
			name:   "pinned key gone",
			server: server("ssh-ed25519"), client: xc, pinned: []string{"ecdsa-sha2-nistp384"},
			want: &Pitfall{Negotiated: "ssh-ed25519", NegotiatedType: "ssh-ed25519", Pinned: []string{"ecdsa-sha2-nistp384"},
				HostKeyAlgorithms: []string{}},
		},
		{
			name:   "OpenSSH orders by known_hosts itself",
			server: server("ssh-ed25519", "rsa-sha2-512"), client: ossh, pinned: []string{"ssh-rsa"}, wantNil: true,
		},
		{
			name:   "host key negotiation fails: not this pitfall",
			server: server("ssh-dss"), client: xc, pinned: []string{"ssh-dss"}, wantNil: true,
		},
		{name: "nothing pinned", server: server("ssh-ed25519"), client: xc, wantNil: true},
		{name: "nil server", client: xc, pinned: []string{"ssh-rsa"}, wantNil: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PinnedPitfall(tt.server, tt.client, tt.pinned)
			if tt.wantNil {
				if got != nil {
					t.Errorf("got %+v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got nil")
			}
			if got.Reason == "" {
				t.Error("no reason")
			}
			got.Reason = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSetHostKeysTemplates(t *testing.T) {
	list := []string{"rsa-sha2-512", "rsa-sha2-256"}
	tests := map[string]string{
		"openssh-10": "ssh -o HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256",
		"paramiko-4": `SSHClient.connect(..., disabled_algorithms={"keys": ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]})`,
		"xcrypto":    `ssh.ClientConfig{HostKeyAlgorithms: []string{"rsa-sha2-512", "rsa-sha2-256"}}`,
	}
	for name, want := range tests {
		p, _ := ProfileByName(name)
		if got := p.setHostKeys(list); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
