package scan

import (
	"encoding/base64"
	"fmt"
	"math/big"

	"golang.org/x/crypto/ssh"
)

// RefusedKeyError means the server sent a host key this client refuses to
// parse: x/crypto rejects RSA public exponents over 24 bits ("exponent too
// large"), which GNU lsh generates and OpenSSH accepts. The key was read
// from the key exchange in the clear but never proved (no signature was
// checked), so it is reported as not retrieved, with its blob for audit.
type RefusedKeyError struct {
	Type string
	Blob []byte
	Bits int // of the exponent
}

func (e *RefusedKeyError) Error() string {
	return fmt.Sprintf("x/crypto refuses RSA public exponents over 24 bits (this key's is %d bits; GNU lsh makes such keys): the key cannot be proved by this client", e.Bits)
}

// RefusedKey recognises a host key blob x/crypto refuses to parse, nil for
// any other.
func RefusedKey(blob []byte) *RefusedKeyError { return refusedKey(blob) }

// refusedKey recognises a blob x/crypto refuses, nil for any other.
func refusedKey(blob []byte) *RefusedKeyError {
	if blob == nil {
		return nil
	}
	var w struct {
		Name string
		E    *big.Int
		N    *big.Int
		Rest []byte `ssh:"rest"`
	}
	if err := ssh.Unmarshal(blob, &w); err != nil || w.Name != ssh.KeyAlgoRSA || w.E == nil {
		return nil
	}
	if w.E.BitLen() <= 24 {
		return nil
	}
	return &RefusedKeyError{Type: ssh.KeyAlgoRSA, Blob: blob, Bits: w.E.BitLen()}
}

// authorizedKey is the known_hosts form of a blob x/crypto cannot parse.
func authorizedKey(typ string, blob []byte) string {
	return typ + " " + base64.StdEncoding.EncodeToString(blob)
}
