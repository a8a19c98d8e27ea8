package knownhosts

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// certAlgorithms are the host certificate algorithms worth asking for when
// a CA vouches for the host: a CA can sign a host key of any type.
var certAlgorithms = []string{
	ssh.CertAlgoED25519v01,
	ssh.CertAlgoECDSA256v01,
	ssh.CertAlgoECDSA384v01,
	ssh.CertAlgoECDSA521v01,
	ssh.CertAlgoRSASHA512v01,
	ssh.CertAlgoRSASHA256v01,
	ssh.CertAlgoRSAv01,
}

// HostKeyAlgorithms returns the host key algorithms to offer a server so
// that it signs with a key the file can verify (golang/go#29286: offer the
// defaults and a server preferring an unpinned type fails as a mismatch).
// Certificate algorithms come first when a CA matches, then the pinned
// types in file order; an RSA pin asks for rsa-sha2-512, rsa-sha2-256 and
// ssh-rsa, which all sign with the same key. Empty when nothing matches.
func HostKeyAlgorithms(m *Match) []string {
	var algos []string
	if len(m.Authorities) > 0 {
		algos = append(algos, certAlgorithms...)
	}
	for _, t := range m.Types() {
		for _, a := range signatureAlgorithms(t) {
			if !slices.Contains(algos, a) {
				algos = append(algos, a)
			}
		}
	}
	return algos
}

func signatureAlgorithms(keyType string) []string {
	switch keyType {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	}
	return []string{keyType}
}
