package sshdial

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshalgo"
	"github.com/sshpin/sshpin/knownhosts"
)

// A connection offers sshalgo's lists, scan's, with the secure ciphers
// ordered for this CPU and the legacy ones, when asked for, last.
func TestAlgorithms(t *testing.T) {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	for _, legacy := range []bool{false, true} {
		a := newAlgorithms(legacy)
		want := sshalgo.For(legacy)
		ciphers := sshalgo.PreferCiphers(sup.Ciphers, sshalgo.FastAES)
		if legacy {
			ciphers = slices.Concat(ciphers, ins.Ciphers)
		}
		if !slices.Equal(a.kex, want.KeyExchanges) || !slices.Equal(a.macs, want.MACs) || !slices.Equal(a.hostKeys, want.HostKeys) {
			t.Errorf("legacy %v: kex %q, macs %q, host keys %q; want sshalgo's", legacy, a.kex, a.macs, a.hostKeys)
		}
		if !slices.Equal(a.ciphers, ciphers) {
			t.Errorf("legacy %v: ciphers %q, want %q", legacy, a.ciphers, ciphers)
		}
		if c := a.ciphers[0]; (c == ssh.CipherAES128GCM) != sshalgo.FastAES {
			t.Errorf("this machine (fast AES %v) prefers %s", sshalgo.FastAES, c)
		}
	}
}

// A host nothing pins is offered plain keys, OpenSSH's order first, and
// no certificate type.
func TestHostKeysForUnpinned(t *testing.T) {
	m, err := knownhosts.NewSet().Lookup("example.com", 22)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newAlgorithms(false).hostKeysFor(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[:len(sshalgo.PlainHostKeys)], sshalgo.PlainHostKeys) {
		t.Errorf("offered %q, want %q first", got, sshalgo.PlainHostKeys)
	}
	for _, a := range got {
		if slices.Contains(ssh.InsecureAlgorithms().HostKeys, a) || strings.Contains(a, "-cert-") {
			t.Errorf("offered %s to an unpinned host without Legacy", a)
		}
	}
}
