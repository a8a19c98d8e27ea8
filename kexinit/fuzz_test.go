package kexinit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// fuzzLimits are small, so that the fuzzer reaches every bound with inputs
// of a few kilobytes.
var fuzzLimits = Limits{
	MaxLineLen:       128,
	MaxPreambleLines: 8,
	KeepPreamble:     3,
	MaxPacketLen:     2048,
	MaxSkipped:       4,
	MaxBytes:         4096,
}

func fuzzSeedHellos() [][]byte {
	kex := AppendPacket(nil, unitKexInit().Marshal())
	ignore := AppendPacket(nil, []byte{msgIgnore, 0, 0, 0, 1, 'x'})
	return [][]byte{
		[]byte(unitServerHello("SSH-2.0-OpenSSH_9.6\r\n")),
		[]byte("motd\r\n" + unitServerHello("SSH-2.0-OpenSSH_9.6 c\n")),
		append([]byte("SSH-2.0-x\r\n"), append(ignore, kex...)...),
		append([]byte("SSH-2.0-x\r\n"), AppendPacket(nil, disconnect(2, "bye"))...),
		append([]byte("SSH-2.0-x\r\n"), pkt(0xFFFFFFF0, 4)...),
		append([]byte("SSH-2.0-x\r\n"), kex[:20]...),
		[]byte("SSH-1.5-x\r\n"),
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		[]byte("\x15\x03\x01\x00\x02\x02\x46"),
		[]byte("SSH-2.0-x\r\n" + string(AppendPacket(nil, []byte{MsgKexInit, 1, 2, 3}))),
		[]byte(""),
	}
}

// FuzzReadHello: arbitrary bytes from a server never panic ReadHello, every
// failure is a typed *Error worded for a person, the bounds hold, and a
// hello that parses re-marshals to a KEXINIT that parses to the same lists.
func FuzzReadHello(f *testing.F) {
	for _, s := range fuzzSeedHellos() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := &countingReader{r: bytes.NewReader(in)}
		h, err := ReadHello(r, fuzzLimits)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == "" {
				t.Fatalf("ReadHello error %T %v, want a *kexinit.Error with a Kind", err, err)
			}
			if h != nil {
				t.Fatalf("ReadHello returned a Hello with its error")
			}
			checkDetail(t, err)
			return
		}
		if len(h.Preamble) > fuzzLimits.KeepPreamble || h.PreambleLines > fuzzLimits.MaxPreambleLines || h.PreambleLines < len(h.Preamble) {
			t.Fatalf("preamble kept %d, counted %d: over the bounds", len(h.Preamble), h.PreambleLines)
		}
		if h.Skipped > fuzzLimits.MaxSkipped || len(h.Payload) > int(fuzzLimits.MaxPacketLen) {
			t.Fatalf("skipped %d, payload %d bytes: over the bounds", h.Skipped, len(h.Payload))
		}
		if len(h.Banner.Raw) > maxVersionLine {
			t.Fatalf("banner of %d bytes", len(h.Banner.Raw))
		}
		if _, err := ParseBanner(h.Banner.Raw); err != nil {
			t.Fatalf("accepted banner %q does not parse: %v", h.Banner.Raw, err)
		}
		again, err := Parse(h.KexInit.Marshal())
		if err != nil {
			t.Fatalf("re-marshalled KEXINIT does not parse: %v", err)
		}
		if !sameLists(again, h.KexInit) || again.FirstKexFollows != h.KexInit.FirstKexFollows {
			t.Fatalf("round trip changed the KEXINIT:\n%+v\n%+v", h.KexInit, again)
		}
		if fromPayload, err := Parse(h.Payload); err != nil || !reflect.DeepEqual(fromPayload, h.KexInit) {
			t.Fatalf("Hello.Payload parses to %+v, %v; want the Hello's KEXINIT", fromPayload, err)
		}
	})
}

func sameLists(a, b *KexInit) bool {
	al, bl := a.Lists(), b.Lists()
	for i := range al {
		if !reflect.DeepEqual(*al[i], *bl[i]) {
			return false
		}
	}
	return true
}

// FuzzParsePacket: framing never panics or reads past its input, a length
// over max is refused, and a payload re-framed by AppendPacket frames back.
func FuzzParsePacket(f *testing.F) {
	f.Add(AppendPacket(nil, unitKexInit().Marshal()), uint32(35000))
	f.Add(pkt(0xFFFFFFF0, 4), uint32(35000))
	f.Add(pkt(0, 0), uint32(35000))
	f.Add(pkt(1, 0, 20), uint32(35000))
	f.Add(pkt(2, 0, 20), uint32(2))
	f.Add(pkt(8, 7, 20, 0, 0, 0, 0, 0, 0, 0), uint32(35000))
	f.Add([]byte{0, 0}, uint32(0))
	f.Add(pkt(6, 4, 2, 0, 0, 0, 0), uint32(0xFFFFFFFF))
	f.Fuzz(func(t *testing.T, b []byte, max uint32) {
		payload, n, err := ParsePacket(b, max)
		if err != nil {
			var me *MalformedError
			if err != errShort && !errors.As(err, &me) {
				t.Fatalf("ParsePacket error %T %v", err, err)
			}
			if payload != nil || n != 0 {
				t.Fatalf("ParsePacket returned %x, %d with %v", payload, n, err)
			}
			if err == errShort && len(b) >= 4 && binary.BigEndian.Uint32(b) > max {
				t.Fatalf("length %d over max %d reported as short", binary.BigEndian.Uint32(b), max)
			}
			return
		}
		length := binary.BigEndian.Uint32(b)
		if length > max || n != 4+int(length) || n > len(b) {
			t.Fatalf("ParsePacket(len %d, max %d) took %d of %d bytes", length, max, n, len(b))
		}
		if len(payload) == 0 || len(payload) > int(length)-1 || &payload[0] != &b[5] {
			t.Fatalf("payload of %d bytes at the wrong place in a %d-byte packet", len(payload), length)
		}
		re := AppendPacket(nil, payload)
		back, m, err := ParsePacket(re, ^uint32(0))
		if err != nil || m != len(re) || !bytes.Equal(back, payload) {
			t.Fatalf("re-framed payload: %x, %d, %v", back, m, err)
		}
	})
}

// FuzzParseKexInit: Parse never panics; every failure is a *MalformedError
// naming a place; a success marshals back to the bytes it was read from
// (up to the boolean's spelling and trailing bytes) and parses the same.
func FuzzParseKexInit(f *testing.F) {
	valid := unitKexInit().Marshal()
	f.Add(valid)
	f.Add(valid[:40])
	f.Add(append(append([]byte(nil), valid...), 1, 2, 3))
	f.Add(probeKexInit.Marshal())
	f.Add([]byte{MsgKexInit})
	f.Add([]byte{})
	empty := &KexInit{}
	f.Add(empty.Marshal())
	f.Fuzz(func(t *testing.T, payload []byte) {
		k, err := Parse(payload)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || me.Where == "" || me.What == "" {
				t.Fatalf("Parse error %T %v, want a *MalformedError with Where and What", err, err)
			}
			return
		}
		for i, l := range k.Lists() {
			if *l == nil {
				t.Fatalf("%s is nil", FieldNames[i])
			}
		}
		m := k.Marshal()
		if len(m) > len(payload) {
			t.Fatalf("Marshal is %d bytes, longer than the %d it came from", len(m), len(payload))
		}
		canon := append([]byte(nil), payload[:len(m)]...)
		if canon[len(m)-5] != 0 {
			canon[len(m)-5] = 1
		}
		if !bytes.Equal(m, canon) {
			t.Fatalf("Marshal(Parse(p)) is not p:\n%x\n%x", m, canon)
		}
		again, err := Parse(m)
		if err != nil || !reflect.DeepEqual(again, k) {
			t.Fatalf("Parse(Marshal(Parse(p))) = %+v, %v; want %+v", again, err, k)
		}
	})
}
