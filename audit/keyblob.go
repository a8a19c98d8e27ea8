package audit

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/sshpin/sshpin/internal/sshwire"
)

// PublicKey is a host key read from its SSH wire blob (RFC 4253 §6.6,
// RFC 5656 §3.1, RFC 8709) by this package's own parser: x/crypto refuses
// some keys servers really use (RSA exponents over 24 bits, which GNU lsh
// generates), and the weak-key tests need the numbers themselves.
type PublicKey struct {
	Type string
	// RSA
	N, E *big.Int
	// DSA
	P, Q, G, Y *big.Int
	// ECDSA: the curve's name in the blob and the encoded point
	Curve string
	Point []byte
	// Ed25519, Ed448
	Raw []byte
}

// Bits is the key's size as ssh-keygen -l reports it (0 when unknown).
func (k *PublicKey) Bits() int {
	switch {
	case k.N != nil:
		return k.N.BitLen()
	case k.P != nil:
		return k.P.BitLen()
	case k.Curve != "":
		return map[string]int{"nistp256": 256, "nistp384": 384, "nistp521": 521}[k.Curve]
	case k.Type == "ssh-ed25519":
		return 256
	case k.Type == "ssh-ed448":
		return 456
	}
	return 0
}

// maxMpintBytes bounds one number in a key blob: 16384-bit RSA keys exist
// (OpenSSH's maximum); twice that is room, not a target.
const maxMpintBytes = 32768 / 8

var errBlob = errors.New("audit: malformed key blob")

// ParsePublicKey parses a key blob. An unknown type parses with only Type
// set; a blob too short for its type is an error.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	typ, b, err := blobString(b)
	if err != nil {
		return nil, err
	}
	k := &PublicKey{Type: string(typ)}
	var ints []*big.Int
	read := func(n int) error {
		for range n {
			var v *big.Int
			if v, b, err = blobMpint(b); err != nil {
				return err
			}
			ints = append(ints, v)
		}
		return nil
	}
	switch k.Type {
	case "ssh-rsa":
		if err := read(2); err != nil {
			return nil, err
		}
		k.E, k.N = ints[0], ints[1]
	case "ssh-dss":
		if err := read(4); err != nil {
			return nil, err
		}
		k.P, k.Q, k.G, k.Y = ints[0], ints[1], ints[2], ints[3]
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		var curve, point []byte
		if curve, b, err = blobString(b); err != nil {
			return nil, err
		}
		if point, _, err = blobString(b); err != nil {
			return nil, err
		}
		k.Curve, k.Point = string(curve), point
	case "ssh-ed25519", "ssh-ed448":
		raw, _, err := blobString(b)
		if err != nil {
			return nil, err
		}
		k.Raw = raw
	}
	return k, nil
}

func blobString(b []byte) ([]byte, []byte, error) {
	s, rest, ok := sshwire.String(b)
	if !ok {
		return nil, nil, errBlob
	}
	return s, rest, nil
}

func blobMpint(b []byte) (*big.Int, []byte, error) {
	v, rest, err := sshwire.Mpint(b, maxMpintBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: key blob: %w", err)
	}
	return v, rest, nil
}

// dsaQBits is the size of a DSA key's q, 0 when blob is not a DSA key.
func dsaQBits(blob []byte) int {
	if blob == nil {
		return 0
	}
	k, err := ParsePublicKey(blob)
	if err != nil || k.Q == nil {
		return 0
	}
	return k.Q.BitLen()
}
