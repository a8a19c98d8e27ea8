package knownhosts

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/sshwire"
)

// minRSABits: OpenSSH refuses RSA keys under 1024 bits
// (SSH_RSA_MINIMUM_MODULUS_SIZE), so a pin of one is a line it skips.
const minRSABits = 1024

// maxMpint is the longest bignum OpenSSH reads (SSHBUF_MAX_BIGNUM, plus
// the zero byte that keeps a high bit from reading as a sign).
const maxMpint = 16384/8 + 1

// parseKey parses a key blob of a format this package knows. RSA keys are
// read here when x/crypto refuses them for their exponent (it takes at
// most 24 bits, and odd; GNU lsh makes keys with larger ones, and OpenSSH
// reads them), so that they can be matched and linted; they cannot verify
// signatures, which x/crypto would need to parse them too.
func parseKey(format string, blob []byte) (ssh.PublicKey, error) {
	k, err := ssh.ParsePublicKey(blob)
	if err != nil && format == ssh.KeyAlgoRSA {
		k, err = parseRSA(blob)
	}
	if err != nil {
		return nil, err
	}
	plain := k
	if c, ok := k.(*ssh.Certificate); ok {
		plain = c.Key
	}
	if n := rsaBits(plain); n > 0 && n < minRSABits {
		return nil, fmt.Errorf("a %d-bit RSA key: OpenSSH refuses keys under %d bits", n, minRSABits)
	}
	return k, nil
}

// rsaBits is an RSA key's modulus size, 0 for other keys.
func rsaBits(k ssh.PublicKey) int {
	switch k := k.(type) {
	case *rsaKey:
		return k.N.BitLen()
	case ssh.CryptoPublicKey:
		if pk, ok := k.CryptoPublicKey().(*rsa.PublicKey); ok {
			return pk.N.BitLen()
		}
	}
	return 0
}

// rsaKey is an RSA public key whose exponent x/crypto does not take.
type rsaKey struct {
	E, N *big.Int
}

func (k *rsaKey) Type() string { return ssh.KeyAlgoRSA }

func (k *rsaKey) Marshal() []byte {
	return ssh.Marshal(struct {
		Name string
		E, N *big.Int
	}{ssh.KeyAlgoRSA, k.E, k.N})
}

func (k *rsaKey) Verify([]byte, *ssh.Signature) error {
	return errors.New("knownhosts: an RSA key with an exponent over 24 bits cannot verify signatures here")
}

// parseRSA reads an ssh-rsa blob: string "ssh-rsa", mpint e, mpint n, and
// nothing after, with OpenSSH's bignum rules (no negative numbers, at most
// 16384 bits; leading zero bytes are fine).
func parseRSA(blob []byte) (*rsaKey, error) {
	rest := blob
	name, rest, ok := sshwire.String(rest)
	if !ok || string(name) != ssh.KeyAlgoRSA {
		return nil, errors.New("not an ssh-rsa key")
	}
	var nums [2]*big.Int
	for i := range nums {
		var err error
		if nums[i], rest, err = sshwire.Mpint(rest, maxMpint); err != nil {
			return nil, err
		}
	}
	if len(rest) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return &rsaKey{E: nums[0], N: nums[1]}, nil
}
