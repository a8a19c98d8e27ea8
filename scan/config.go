package scan

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// clientAlgorithms are the explicit lists every handshake uses. x/crypto's
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
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	c := &clientAlgorithms{
		kex:            sup.KeyExchanges,
		ciphers:        sup.Ciphers,
		macs:           sup.MACs,
		hostKeys:       sup.HostKeys,
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
		c.kex = slices.Concat(c.kex, ins.KeyExchanges)
		c.ciphers = slices.Concat(c.ciphers, ins.Ciphers)
		c.macs = slices.Concat(c.macs, ins.MACs)
		c.hostKeys = slices.Concat(c.hostKeys, ins.HostKeys)
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
		ClientVersion:     "SSH-2.0-sshpin",
	}
}
