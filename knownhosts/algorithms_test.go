package knownhosts

import (
	"strings"
	"testing"
)

func TestHostKeyAlgorithms(t *testing.T) {
	certs := "ssh-ed25519-cert-v01@openssh.com ecdsa-sha2-nistp256-cert-v01@openssh.com ecdsa-sha2-nistp384-cert-v01@openssh.com ecdsa-sha2-nistp521-cert-v01@openssh.com rsa-sha2-512-cert-v01@openssh.com rsa-sha2-256-cert-v01@openssh.com ssh-rsa-cert-v01@openssh.com"
	tests := []struct {
		name, file, want string
	}{
		{"nothing", "b.example.com {server_ed25519}", ""},
		{"ed25519", "a.example.com {server_ed25519}", "ssh-ed25519"},
		{"rsa asks for all three signatures", "a.example.com {server_rsa}", "rsa-sha2-512 rsa-sha2-256 ssh-rsa"},
		{"ecdsa curves", "a.example.com {other_ecdsa521}\na.example.com {other_ecdsa384}\na.example.com {server_ecdsa}",
			"ecdsa-sha2-nistp521 ecdsa-sha2-nistp384 ecdsa-sha2-nistp256"},
		{"file order, no repeats", "a.example.com {server_rsa}\na.example.com {server_ed25519}\na.example.com {other_rsa}",
			"rsa-sha2-512 rsa-sha2-256 ssh-rsa ssh-ed25519"},
		{"CA: certificates first", "@cert-authority *.example.com {ca}\na.example.com {server_ed25519}", certs + " ssh-ed25519"},
		{"CA only", "@cert-authority *.example.com {ca}", certs},
		{"revoked lines ask for nothing", "@revoked * {server_ed25519}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, expand(t, tt.file))
			got := strings.Join(HostKeyAlgorithms(mustLookup(t, f, "a.example.com", 22)), " ")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
