package kexinit

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message numbers a server may send before its KEXINIT (RFC 4253 §11, §12).
const (
	msgDisconnect    = 1
	msgIgnore        = 2
	msgUnimplemented = 3
	msgDebug         = 4
)

// errShort means the buffer holds only part of a packet.
var errShort = errors.New("kexinit: short packet")

// ParsePacket frames one unencrypted binary packet (RFC 4253 §6) at the start
// of b. It returns the payload and the bytes the packet took, or errShort
// when b ends inside the packet. A length over max is an error as soon as its
// four bytes are in, so a hostile length costs nothing.
func ParsePacket(b []byte, max uint32) (payload []byte, n int, err error) {
	if len(b) < 4 {
		return nil, 0, errShort
	}
	length := binary.BigEndian.Uint32(b)
	if length > max {
		return nil, 0, &MalformedError{"packet", fmt.Sprintf("length %d exceeds the limit of %d", length, max)}
	}
	if length < 2 {
		return nil, 0, &MalformedError{"packet", fmt.Sprintf("length %d leaves no room for a message", length)}
	}
	if len(b) < 5 {
		return nil, 0, errShort
	}
	padding := uint32(b[4])
	if padding+1 >= length {
		return nil, 0, &MalformedError{"packet", fmt.Sprintf("padding length %d leaves no payload in a %d-byte packet", padding, length)}
	}
	if uint64(len(b)) < 4+uint64(length) {
		return nil, 0, errShort
	}
	return b[5 : 4+length-padding], int(4 + length), nil
}

// AppendPacket frames payload as an unencrypted binary packet, padded to a
// multiple of 8 with at least 4 bytes of padding (RFC 4253 §6).
func AppendPacket(b, payload []byte) []byte {
	padding := 8 - (5+len(payload))%8
	if padding < 4 {
		padding += 8
	}
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)+padding))
	b = append(b, byte(padding))
	b = append(b, payload...)
	return append(b, make([]byte, padding)...)
}

// packetScanner consumes the bytes a server sends after its version line
// until the KEXINIT, skipping IGNORE, DEBUG and UNIMPLEMENTED. It works on
// pushed bytes, so the same code serves the active probe and the passive tap.
type packetScanner struct {
	lim      Limits
	buf      []byte
	received int
	skipped  int
	payload  []byte
	kex      *KexInit
	rest     []byte // bytes after the KEXINIT packet
}

// feed adds p and reports whether the KEXINIT has been parsed.
func (s *packetScanner) feed(p []byte) (bool, error) {
	if s.kex != nil {
		return true, nil
	}
	s.received += len(p)
	if s.received > s.lim.MaxBytes {
		return false, &Error{Kind: KindLimit, Phase: "kexinit",
			Detail: fmt.Sprintf("server sent more than %d bytes without a KEXINIT", s.lim.MaxBytes)}
	}
	s.buf = append(s.buf, p...)
	for {
		payload, n, err := ParsePacket(s.buf, s.lim.MaxPacketLen)
		if err == errShort {
			return false, nil
		}
		if err != nil {
			return false, &Error{Kind: KindMalformed, Phase: "kexinit", Detail: malformedDetail(err), Err: err}
		}
		s.buf = s.buf[n:]
		switch payload[0] {
		case MsgKexInit:
			k, err := Parse(payload)
			if err != nil {
				return false, &Error{Kind: KindMalformed, Phase: "kexinit", Detail: malformedDetail(err), Err: err}
			}
			s.kex, s.payload, s.rest, s.buf = k, payload, s.buf, nil
			return true, nil
		case msgIgnore, msgDebug, msgUnimplemented:
			s.skipped++
			if s.skipped > s.lim.MaxSkipped {
				return false, &Error{Kind: KindLimit, Phase: "kexinit",
					Detail: fmt.Sprintf("server sent more than %d IGNORE/DEBUG packets before its KEXINIT", s.lim.MaxSkipped)}
			}
		case msgDisconnect:
			return false, &Error{Kind: KindDisconnect, Phase: "kexinit", Detail: "server disconnected: " + disconnectReason(payload)}
		default:
			return false, &Error{Kind: KindMalformed, Phase: "kexinit",
				Detail: fmt.Sprintf("server sent message type %d where its KEXINIT belongs", payload[0])}
		}
	}
}

func malformedDetail(err error) string {
	var me *MalformedError
	if errors.As(err, &me) {
		return fmt.Sprintf("malformed %s from server: %s", me.Where, me.What)
	}
	return err.Error()
}

// disconnectReason renders SSH_MSG_DISCONNECT's reason code and description.
func disconnectReason(p []byte) string {
	if len(p) < 9 {
		return "(no reason given)"
	}
	code := binary.BigEndian.Uint32(p[1:])
	n := binary.BigEndian.Uint32(p[5:])
	desc := p[9:]
	if uint64(n) < uint64(len(desc)) {
		desc = desc[:n]
	}
	return fmt.Sprintf("%q (reason %d)", clip(string(desc)), code)
}
