package scan

import (
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshalgo"
	"github.com/sshpin/sshpin/kexinit"
)

// clientAlgorithms are the explicit lists every handshake uses, sshalgo's
// as sshdial's connections offer them (x/crypto's order: a scan moves no
// bulk data, so the ciphers are not reordered for speed). x/crypto's
// defaults silently include SHA-1 algorithms; an explicit list is the only
// way to keep them off unless the user asked for Legacy.
type clientAlgorithms struct {
	kex, ciphers, macs, hostKeys []string
	legacyHostKeys               map[string]bool // key types reachable only with Options.Legacy
	legacyOnly                   map[string]bool // algorithms reachable only with Options.Legacy
	legacyHint                   string          // Options.LegacyHint
}

// hint is what a reason that only Legacy would lift ends with: ": " and
// Options.LegacyHint, or nothing when the caller gave none.
func (c *clientAlgorithms) hint() string {
	if c.legacyHint == "" {
		return ""
	}
	return ": " + c.legacyHint
}

func newClientAlgorithms(legacy bool) *clientAlgorithms {
	sup, ins := sshalgo.Default(), sshalgo.Legacy()
	all := sshalgo.For(legacy)
	c := &clientAlgorithms{
		kex:            all.KeyExchanges,
		ciphers:        all.Ciphers,
		macs:           all.MACs,
		hostKeys:       all.HostKeys,
		legacyHostKeys: map[string]bool{},
		legacyOnly:     map[string]bool{},
	}
	for _, l := range [][]string{ins.KeyExchanges, ins.Ciphers, ins.MACs, ins.HostKeys} {
		for _, a := range l {
			c.legacyOnly[a] = true
		}
	}
	for _, a := range ins.HostKeys {
		if !slices.ContainsFunc(sup.HostKeys, func(s string) bool { return familyOf(s) == familyOf(a) }) {
			c.legacyHostKeys[familyOf(a)] = true
		}
	}
	if legacy {
		c.legacyOnly = map[string]bool{}
		c.legacyHostKeys = map[string]bool{}
	}
	return c
}

func (c *clientAlgorithms) config(user string, hostKeys []string, cb ssh.HostKeyCallback) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		Config: ssh.Config{
			KeyExchanges: c.kex,
			Ciphers:      c.ciphers,
			MACs:         c.macs,
		},
		User:              user,
		HostKeyAlgorithms: hostKeys,
		HostKeyCallback:   cb,
		ClientVersion:     kexinit.ClientVersion,
	}
}
