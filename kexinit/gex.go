package kexinit

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
)

// Group exchange (RFC 4419): once the KEXINITs chose a
// diffie-hellman-group-exchange-* method, the client sends
// SSH_MSG_KEX_DH_GEX_REQUEST (min, n, max bits) and the server answers
// SSH_MSG_KEX_DH_GEX_GROUP with the prime p and generator g, in the clear.
// So the size of the group a server hands out can be read with no crypto,
// and the probe stops there, before anything is computed.
const (
	msgKexDHGexGroup   = 31
	msgKexDHGexRequest = 34
)

// GroupRequest is the body of SSH_MSG_KEX_DH_GEX_REQUEST, in bits.
type GroupRequest struct {
	Min uint32 `json:"min"`
	N   uint32 `json:"n"`
	Max uint32 `json:"max"`
}

// The two questions an audit asks. ModernRequest is what current clients
// send (OpenSSH asks min 2048 and n from 3072 up to 8192 by cipher strength;
// RFC 8270 makes 2048 the minimum). SmallestRequest asks for the least the
// server will give anyone: an old client's 1024.
var (
	ModernRequest   = GroupRequest{Min: 2048, N: 3072, Max: 8192}
	SmallestRequest = GroupRequest{Min: 1024, N: 1024, Max: 8192}
)

// Marshal encodes the request as a payload, message number included.
func (r GroupRequest) Marshal() []byte {
	b := []byte{msgKexDHGexRequest}
	b = binary.BigEndian.AppendUint32(b, r.Min)
	b = binary.BigEndian.AppendUint32(b, r.N)
	return binary.BigEndian.AppendUint32(b, r.Max)
}

func (r GroupRequest) String() string { return fmt.Sprintf("min %d, n %d, max %d", r.Min, r.N, r.Max) }

// Group is the body of SSH_MSG_KEX_DH_GEX_GROUP.
type Group struct {
	P, G *big.Int
}

// Bits is the size of the modulus.
func (g *Group) Bits() int { return g.P.BitLen() }

// maxGroupBytes bounds an mpint in a group message: RFC 4419 stops at 8192
// bits; twice that leaves room to report a server that exceeds it, and a
// larger length is malformed before anything is allocated.
const maxGroupBytes = 16384/8 + 1

// ParseGroup parses a GEX_GROUP payload, message number included. Lengths
// are checked against what remains before anything is sliced.
func ParseGroup(payload []byte) (*Group, error) {
	if len(payload) == 0 || payload[0] != msgKexDHGexGroup {
		what := "empty payload"
		if len(payload) > 0 {
			what = fmt.Sprintf("message type %d, want %d", payload[0], msgKexDHGexGroup)
		}
		return nil, &MalformedError{"gex_group", what}
	}
	b := payload[1:]
	p, b, err := readMpint(b, "p")
	if err != nil {
		return nil, err
	}
	g, _, err := readMpint(b, "g")
	if err != nil {
		return nil, err
	}
	if p.Sign() <= 0 || g.Sign() <= 0 {
		return nil, &MalformedError{"gex_group", "p and g must be positive"}
	}
	// Trailing bytes are tolerated, as in Parse: the size is what we came for.
	return &Group{P: p, G: g}, nil
}

func readMpint(b []byte, name string) (*big.Int, []byte, error) {
	if len(b) < 4 {
		return nil, nil, &MalformedError{"gex_group", name + " truncated before its length"}
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(n) > uint64(len(b)) {
		return nil, nil, &MalformedError{"gex_group", fmt.Sprintf("%s length %d exceeds the %d bytes left", name, n, len(b))}
	}
	if n > maxGroupBytes {
		return nil, nil, &MalformedError{"gex_group", fmt.Sprintf("%s length %d exceeds the limit of %d", name, n, maxGroupBytes)}
	}
	v := b[:n]
	if n > 0 && v[0]&0x80 != 0 {
		return nil, nil, &MalformedError{"gex_group", name + " is negative"}
	}
	return new(big.Int).SetBytes(v), b[n:], nil
}

// RequestGroup sends req on w and reads the server's group from r, which
// must be positioned after the server's KEXINIT. It skips IGNORE, DEBUG and,
// when skipGuess is set, the one packet a server that guessed another key
// exchange sent (first_kex_packet_follows). Every failure is an *Error with
// phase "gex"; a server that closes the connection is KindClosed.
func RequestGroup(w io.Writer, r io.Reader, req GroupRequest, lim Limits, skipGuess bool) (*Group, error) {
	lim = lim.orDefault()
	if _, err := w.Write(AppendPacket(nil, req.Marshal())); err != nil {
		return nil, classify(err, "gex", 0)
	}
	received, skipped := 0, 0
	for {
		payload, n, err := readPacket(r, lim)
		received += n
		if err != nil {
			return nil, classify(err, "gex", received)
		}
		if received > lim.MaxBytes {
			return nil, &Error{Kind: KindLimit, Phase: "gex", Detail: fmt.Sprintf("server sent more than %d bytes without a group", lim.MaxBytes)}
		}
		switch payload[0] {
		case msgKexDHGexGroup:
			g, err := ParseGroup(payload)
			if err != nil {
				return nil, &Error{Kind: KindMalformed, Phase: "gex", Detail: malformedDetail(err), Err: err}
			}
			return g, nil
		case msgIgnore, msgDebug:
			skipped++
			if skipped > lim.MaxSkipped {
				return nil, &Error{Kind: KindLimit, Phase: "gex", Detail: fmt.Sprintf("server sent more than %d IGNORE/DEBUG packets before its group", lim.MaxSkipped)}
			}
		case msgDisconnect:
			return nil, &Error{Kind: KindDisconnect, Phase: "gex", Detail: "server disconnected once group exchange was chosen: " + disconnectReason(payload)}
		case msgUnimplemented:
			return nil, &Error{Kind: KindMalformed, Phase: "gex", Detail: "server answered the group request SSH_MSG_UNIMPLEMENTED"}
		default:
			if skipGuess && payload[0] >= 30 && payload[0] <= 49 {
				skipGuess = false
				continue
			}
			return nil, &Error{Kind: KindMalformed, Phase: "gex", Detail: fmt.Sprintf("server sent message type %d where its group-exchange group belongs", payload[0])}
		}
	}
}

// readPacket reads one unencrypted packet, its length checked against the
// limit before anything is allocated. n counts the bytes consumed.
func readPacket(r io.Reader, lim Limits) (payload []byte, n int, err error) {
	var hdr [5]byte
	if k, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, k, err
	}
	length := binary.BigEndian.Uint32(hdr[:4])
	if length > lim.MaxPacketLen || int64(length) > int64(lim.MaxBytes) {
		return nil, 5, &Error{Kind: KindMalformed, Phase: "gex", Detail: fmt.Sprintf("malformed packet from server: length %d exceeds the limit of %d", length, lim.MaxPacketLen)}
	}
	if length < 2 || uint32(hdr[4])+1 >= length {
		return nil, 5, &Error{Kind: KindMalformed, Phase: "gex", Detail: fmt.Sprintf("malformed packet from server: length %d, padding %d leave no payload", length, hdr[4])}
	}
	buf := make([]byte, length-1)
	k, err := io.ReadFull(r, buf)
	if err != nil {
		return nil, 5 + k, err
	}
	return buf[:len(buf)-int(hdr[4])], 4 + int(length), nil
}
