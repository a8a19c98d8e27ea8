// Package sshwire reads the two data types of the SSH wire encoding (RFC
// 4251 §5) that sshpin's own parsers need: string and mpint. Each parser
// of untrusted bytes (key blobs x/crypto refuses, SFTP replies read before
// pkg/sftp sees them) reads them here, so that the bounds are checked in
// one place.
package sshwire

import (
	"encoding/binary"
	"errors"
	"math/big"
)

// String reads a uint32 length and that many bytes. ok is false when b is
// shorter than the length says; s aliases b.
func String(b []byte) (s, rest []byte, ok bool) {
	if len(b) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, false
	}
	return b[4 : 4+n], b[4+n:], true
}

var (
	ErrTruncated   = errors.New("truncated")
	ErrMpintSize   = errors.New("number too large")
	ErrMpintNegate = errors.New("negative number")
)

// Mpint reads a non-negative mpint of at most maxBytes bytes, with
// OpenSSH's rules for key blobs: a negative number is refused, leading
// zero bytes are accepted. Callers choose the bound: matching a pin
// follows OpenSSH's, rating a key reads larger ones to say they are odd.
func Mpint(b []byte, maxBytes int) (v *big.Int, rest []byte, err error) {
	s, rest, ok := String(b)
	switch {
	case !ok:
		return nil, nil, ErrTruncated
	case len(s) > maxBytes:
		return nil, nil, ErrMpintSize
	case len(s) > 0 && s[0]&0x80 != 0:
		return nil, nil, ErrMpintNegate
	}
	return new(big.Int).SetBytes(s), rest, nil
}
