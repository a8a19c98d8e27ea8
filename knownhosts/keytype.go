package knownhosts

import (
	"encoding/binary"

	"golang.org/x/crypto/ssh"
)

// parsable lists the key formats ssh.ParsePublicKey understands. A blob of any
// other format is an unknown key type, kept and warned about, rather than a
// malformed key: OpenSSH may know a type x/crypto does not.
var parsable = map[string]bool{
	ssh.KeyAlgoRSA:             true,
	ssh.InsecureKeyAlgoDSA:     true,
	ssh.KeyAlgoECDSA256:        true,
	ssh.KeyAlgoECDSA384:        true,
	ssh.KeyAlgoECDSA521:        true,
	ssh.KeyAlgoSKECDSA256:      true,
	ssh.KeyAlgoED25519:         true,
	ssh.KeyAlgoSKED25519:       true,
	ssh.KeyAlgoMLDSA44:         true,
	ssh.KeyAlgoMLDSA65:         true,
	ssh.KeyAlgoMLDSA87:         true,
	ssh.CertAlgoRSAv01:         true,
	ssh.InsecureCertAlgoDSAv01: true,
	ssh.CertAlgoECDSA256v01:    true,
	ssh.CertAlgoECDSA384v01:    true,
	ssh.CertAlgoECDSA521v01:    true,
	ssh.CertAlgoSKECDSA256v01:  true,
	ssh.CertAlgoED25519v01:     true,
	ssh.CertAlgoSKED25519v01:   true,
	ssh.CertAlgoMLDSA44v01Go:   true,
	ssh.CertAlgoMLDSA65v01Go:   true,
	ssh.CertAlgoMLDSA87v01Go:   true,
}

// keyFormat maps a key type field to the blob format OpenSSH requires
// after it (sshkey_read compares key types, not names): the RSA signature
// names stand for the RSA key, webauthn's for the sk-ecdsa key. known is
// false for a name OpenSSH does not read.
func keyFormat(field string) (format string, known bool) {
	switch field {
	case ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512:
		return ssh.KeyAlgoRSA, true
	case ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSASHA512v01:
		return ssh.CertAlgoRSAv01, true
	case "webauthn-sk-ecdsa-sha2-nistp256@openssh.com":
		return ssh.KeyAlgoSKECDSA256, true
	}
	return field, opensshTypes[field]
}

// opensshTypes are the key type names OpenSSH reads in known_hosts.
var opensshTypes = map[string]bool{
	ssh.KeyAlgoRSA: true, ssh.InsecureKeyAlgoDSA: true,
	ssh.KeyAlgoECDSA256: true, ssh.KeyAlgoECDSA384: true, ssh.KeyAlgoECDSA521: true,
	ssh.KeyAlgoSKECDSA256: true, ssh.KeyAlgoED25519: true, ssh.KeyAlgoSKED25519: true,
	ssh.CertAlgoRSAv01: true, ssh.InsecureCertAlgoDSAv01: true,
	ssh.CertAlgoECDSA256v01: true, ssh.CertAlgoECDSA384v01: true, ssh.CertAlgoECDSA521v01: true,
	ssh.CertAlgoSKECDSA256v01: true, ssh.CertAlgoED25519v01: true, ssh.CertAlgoSKED25519v01: true,
	"ssh-xmss@openssh.com": true, "ssh-xmss-cert-v01@openssh.com": true,
}

// blobType returns the format name a key blob starts with.
func blobType(blob []byte) (string, bool) {
	if len(blob) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(blob)
	if uint64(n) > uint64(len(blob)-4) {
		return "", false
	}
	return string(blob[4 : 4+n]), true
}

// plainBlob is what OpenSSH compares when it asks whether two keys are the
// same public key (sshkey_equal_public, for CAs and revocations): a
// certificate counts as the key it certifies.
func plainBlob(k ssh.PublicKey) string {
	if c, ok := k.(*ssh.Certificate); ok {
		return string(c.Key.Marshal())
	}
	return string(k.Marshal())
}

// sameKey is sshkey_equal, what a pinned key must be: same type, same key;
// a certificate pinned as a key never equals the plain key it certifies.
func sameKey(a, b ssh.PublicKey) bool {
	return string(a.Marshal()) == string(b.Marshal())
}
