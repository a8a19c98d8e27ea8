package sshalgo

import (
	"slices"
	"testing"

	"golang.org/x/crypto/ssh"
)

// The lists are x/crypto's, in its order, and Legacy adds its insecure
// ones after them: what scan and sshdial offer rests on it.
func TestFor(t *testing.T) {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	for _, tc := range []struct {
		legacy                       bool
		kex, ciphers, macs, hostKeys []string
	}{
		{false, sup.KeyExchanges, sup.Ciphers, sup.MACs, sup.HostKeys},
		{true, slices.Concat(sup.KeyExchanges, ins.KeyExchanges), slices.Concat(sup.Ciphers, ins.Ciphers),
			slices.Concat(sup.MACs, ins.MACs), slices.Concat(sup.HostKeys, ins.HostKeys)},
	} {
		s := For(tc.legacy)
		for _, c := range []struct {
			what      string
			got, want []string
		}{{"kex", s.KeyExchanges, tc.kex}, {"ciphers", s.Ciphers, tc.ciphers}, {"macs", s.MACs, tc.macs}, {"host keys", s.HostKeys, tc.hostKeys}} {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("For(%v) %s = %q, want %q", tc.legacy, c.what, c.got, c.want)
			}
		}
	}
	if slices.Contains(For(false).HostKeys, ssh.KeyAlgoRSA) || !slices.Contains(For(true).HostKeys, ssh.KeyAlgoRSA) {
		t.Error("ssh-rsa (SHA-1) must be legacy only")
	}
	// For must not share Default's backing arrays with callers that append.
	a := For(true)
	a.Ciphers[0] = "changed"
	if For(true).Ciphers[0] == "changed" || Default().Ciphers[0] == "changed" {
		t.Error("For returns shared slices")
	}
}
