// Package sshalgo is the one place the algorithm lists sshpin offers are
// written down: scan's handshakes and sshdial's connections offer the
// same key exchanges, ciphers, MACs and host key algorithms, in the same
// order, and add the same legacy ones when asked.
package sshalgo

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// Set is one connection's explicit algorithm lists, in preference order.
// x/crypto's defaults silently include SHA-1 algorithms; explicit lists
// keep them off unless legacy ones were asked for.
type Set struct {
	KeyExchanges, Ciphers, MACs, HostKeys []string
}

// Default is what x/crypto rates secure, in its order.
func Default() Set {
	sup := ssh.SupportedAlgorithms()
	return Set{KeyExchanges: sup.KeyExchanges, Ciphers: sup.Ciphers, MACs: sup.MACs, HostKeys: sup.HostKeys}
}

// Legacy is what x/crypto keeps but rates insecure: the SHA-1 and CBC
// algorithms (ssh-rsa, ssh-dss, group1/14-sha1, 3des-cbc, aes128-cbc,
// hmac-sha1), which a legacy connection offers after Default's.
func Legacy() Set {
	ins := ssh.InsecureAlgorithms()
	return Set{KeyExchanges: ins.KeyExchanges, Ciphers: ins.Ciphers, MACs: ins.MACs, HostKeys: ins.HostKeys}
}

// For returns Default, followed by Legacy when legacy is set.
func For(legacy bool) Set {
	s := Default()
	if legacy {
		l := Legacy()
		s.KeyExchanges = slices.Concat(s.KeyExchanges, l.KeyExchanges)
		s.Ciphers = slices.Concat(s.Ciphers, l.Ciphers)
		s.MACs = slices.Concat(s.MACs, l.MACs)
		s.HostKeys = slices.Concat(s.HostKeys, l.HostKeys)
	}
	return s
}

// PlainHostKeys orders the plain key algorithms offered to a host with
// nothing pinned, as OpenSSH orders its defaults; the others of a Set's
// HostKeys follow in its order.
var PlainHostKeys = []string{
	ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
}
