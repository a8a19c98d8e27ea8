package kexinit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"testing"
)

func fuzzGroup(bits int, g int64) []byte {
	p := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	p.Add(p, big.NewInt(1))
	b := []byte{msgKexDHGexGroup}
	for _, v := range []*big.Int{p, big.NewInt(g)} {
		raw := v.Bytes()
		if raw[0]&0x80 != 0 {
			raw = append([]byte{0}, raw...)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(raw)))
		b = append(b, raw...)
	}
	return b
}

// FuzzParseGroup: arbitrary GEX_GROUP payloads never panic, a failure is a
// *MalformedError, and a group that parses has a positive p of at most the
// bound's size.
func FuzzParseGroup(f *testing.F) {
	f.Add(fuzzGroup(2048, 2))
	f.Add(fuzzGroup(1024, 5))
	f.Add([]byte{31, 0, 0, 0, 1, 0x80, 0, 0, 0, 1, 2})
	f.Add([]byte{31, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		g, err := ParseGroup(in)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if g.P.Sign() <= 0 || g.G.Sign() <= 0 || g.Bits() > 8*(16384/8+1) {
			t.Fatalf("group p %d bits, g %v", g.Bits(), g.G)
		}
	})
}

// FuzzRequestGroup: whatever a server sends after the KEXINITs, the group
// read never panics, fails with a typed *Error, and stays in its bounds.
func FuzzRequestGroup(f *testing.F) {
	f.Add(AppendPacket(nil, fuzzGroup(2048, 2)))
	f.Add(append(AppendPacket(nil, []byte{msgIgnore, 0, 0, 0, 1, 'x'}), AppendPacket(nil, fuzzGroup(3072, 2))...))
	f.Add(AppendPacket(nil, disconnect(3, "no")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xf0, 4})
	f.Add(AppendPacket(nil, []byte{3, 0, 0, 0, 7}))
	f.Add(append(AppendPacket(nil, []byte{30, 1, 2}), AppendPacket(nil, fuzzGroup(2048, 2))...))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, guess := range []bool{false, true} {
			r := &countingReader{r: bytes.NewReader(in)}
			g, err := RequestGroup(io.Discard, r, ModernRequest, fuzzLimits, guess)
			if r.n > fuzzLimits.MaxBytes+int(fuzzLimits.MaxPacketLen)+8 {
				t.Fatalf("read %d bytes, past the bounds", r.n)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Kind == "" || e.Phase != "gex" {
					t.Fatalf("error %T %v", err, err)
				}
				continue
			}
			if g == nil || g.P.Sign() <= 0 {
				t.Fatal("no group and no error")
			}
		}
	})
}

// FuzzReplyScanner: whatever follows a KEXINIT, in whatever chunks, the
// host key reader of the Tap never panics, stays in its bounds, and keeps
// only a blob that starts with a printable type name.
func FuzzReplyScanner(f *testing.F) {
	blob := []byte{0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 1, 'x'}
	reply := append([]byte{31}, binary.BigEndian.AppendUint32(nil, uint32(len(blob)))...)
	reply = append(reply, blob...)
	f.Add(AppendPacket(nil, reply), 3)
	f.Add(append(AppendPacket(nil, fuzzGroup(2048, 2)), AppendPacket(nil, append([]byte{33}, reply[1:]...))...), 7)
	f.Add(AppendPacket(nil, []byte{21}), 1)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 4}, 2)
	f.Fuzz(func(t *testing.T, in []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		s := &replyScanner{lim: fuzzLimits.orDefault()}
		for len(in) > 0 {
			n := min(chunk, len(in))
			s.feed(in[:n])
			in = in[n:]
		}
		if len(s.buf) > fuzzLimits.MaxBytes {
			t.Fatalf("holds %d bytes", len(s.buf))
		}
		if s.blob != nil {
			n := binary.BigEndian.Uint32(s.blob)
			if n == 0 || n > 64 || int(n) > len(s.blob)-4 {
				t.Fatalf("blob %x", s.blob)
			}
		}
	})
}
