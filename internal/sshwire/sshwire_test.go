package sshwire

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in      []byte
		s, rest string
		ok      bool
	}{
		{in: []byte{0, 0, 0, 0}, ok: true},
		{in: []byte{0, 0, 0, 2, 'a', 'b', 'c'}, s: "ab", rest: "c", ok: true},
		{in: []byte{0, 0, 0, 3, 'a', 'b'}},
		{in: []byte{0, 0, 0}},
		{in: nil},
		{in: []byte{0xff, 0xff, 0xff, 0xff, 'a'}},
	} {
		s, rest, ok := String(tc.in)
		if ok != tc.ok || string(s) != tc.s || string(rest) != tc.rest {
			t.Errorf("String(%q) = %q, %q, %v; want %q, %q, %v", tc.in, s, rest, ok, tc.s, tc.rest, tc.ok)
		}
	}
}

func TestMpint(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		max  int
		want int64
		err  error
	}{
		{in: []byte{0, 0, 0, 0}, max: 4, want: 0},
		{in: []byte{0, 0, 0, 2, 0x01, 0x00}, max: 4, want: 256},
		{in: []byte{0, 0, 0, 2, 0x00, 0x80}, max: 4, want: 128}, // the zero a set high bit needs
		{in: []byte{0, 0, 0, 3, 0, 0, 0x05}, max: 4, want: 5},   // leading zeros, as OpenSSH reads them
		{in: []byte{0, 0, 0, 1, 0x80}, max: 4, err: ErrMpintNegate},
		{in: []byte{0, 0, 0, 5, 1, 2, 3, 4, 5}, max: 4, err: ErrMpintSize},
		{in: []byte{0, 0, 0, 5, 1, 2}, max: 4, err: ErrTruncated},
	} {
		v, _, err := Mpint(tc.in, tc.max)
		if !errors.Is(err, tc.err) || (err == nil && v.Cmp(big.NewInt(tc.want)) != 0) {
			t.Errorf("Mpint(%x) = %v, %v; want %d, %v", tc.in, v, err, tc.want, tc.err)
		}
	}
}

// FuzzString: never panics; what it reads re-encodes to the bytes it
// consumed, and rest is what follows them.
func FuzzString(f *testing.F) {
	for _, s := range [][]byte{{0, 0, 0, 0}, {0, 0, 0, 1, 'x', 'y'}, {0xff, 0xff, 0xff, 0xff}, {0, 0}, {0, 0, 0, 2, 0x80, 1}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rest, ok := String(b)
		if !ok {
			return
		}
		enc := append([]byte{byte(len(s) >> 24), byte(len(s) >> 16), byte(len(s) >> 8), byte(len(s))}, s...)
		if !bytes.Equal(append(enc, rest...), b) {
			t.Fatalf("%x: read %x, rest %x", b, s, rest)
		}
		if v, _, err := Mpint(b, 64); err == nil && (v.Sign() < 0 || len(v.Bytes()) > 64) {
			t.Fatalf("%x: mpint %v", b, v)
		}
	})
}
