package sftpx

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// framed frames bodies as SFTP packets: uint32 length, then the body.
func framed(bodies ...[]byte) []byte {
	var b []byte
	for _, p := range bodies {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// countingReplies reads stream through a replyReader in reads of the
// sizes cuts gives (cycled), and counts the calls to arm.
func countingReplies(stream []byte, cuts []byte) (arms int, got []byte) {
	rr := &replyReader{r: &cutReader{b: stream, cuts: cuts}, arm: func() { arms++ }}
	got, _ = io.ReadAll(rr)
	return arms, got
}

// cutReader returns b in pieces of the sizes cuts says (1 to 256 bytes,
// cycled), as a channel may.
type cutReader struct {
	b    []byte
	cuts []byte
	i    int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.cuts) > 0 {
		n = int(c.cuts[c.i%len(c.cuts)]) + 1
		c.i++
	}
	n = min(n, len(p), len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// A reply pushes the deadline once it is whole, however the channel cuts
// it; bytes of a reply that never ends push nothing.
func TestReplyReader(t *testing.T) {
	tests := []struct {
		name   string
		stream []byte
		cuts   []byte
		want   int // at least 1, at most this many arms
		none   bool
	}{
		{name: "one reply in one read", stream: framed([]byte("abc")), cuts: []byte{255}, want: 1},
		{name: "one reply byte by byte", stream: framed([]byte("abcdef")), cuts: []byte{0}, want: 1},
		{name: "three replies byte by byte", stream: framed([]byte("a"), []byte("bc"), []byte("def")), cuts: []byte{0}, want: 3},
		{name: "a reply's prefix only", stream: framed([]byte("abcdef"))[:3], cuts: []byte{0}, none: true},
		{name: "a reply trickled, never ended", stream: framed(make([]byte, 1000))[:900], cuts: []byte{0}, none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arms, got := countingReplies(tt.stream, tt.cuts)
			if !bytes.Equal(got, tt.stream) {
				t.Fatalf("the stream changed")
			}
			switch {
			case tt.none && arms != 0:
				t.Errorf("%d arms for a reply that never ended", arms)
			case !tt.none && (arms < 1 || arms > tt.want):
				t.Errorf("%d arms, want 1 to %d", arms, tt.want)
			}
		})
	}
}

// FuzzReplyReader: whatever the server sends and however the channel
// cuts it, the stream passes through unchanged, and the deadline is
// pushed exactly when the reads that end packets say so: as often as
// reads end packets, never more often than there are packets.
func FuzzReplyReader(f *testing.F) {
	f.Add(framed([]byte("abc"), nil, []byte("de")), []byte{0, 3, 255})
	f.Add([]byte{0, 0, 0, 5, 1}, []byte{1})
	f.Add(framed(make([]byte, 300)), []byte{7})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		arms, got := countingReplies(stream, cuts)
		if !bytes.Equal(got, stream) {
			t.Fatal("the stream changed")
		}
		// Count the packets that end within stream.
		packets := 0
		for b := stream; len(b) >= 4; {
			n := uint64(binary.BigEndian.Uint32(b))
			if n > uint64(len(b)-4) {
				break
			}
			packets++
			b = b[4+n:]
		}
		if arms > packets || (packets > 0 && arms == 0) {
			t.Fatalf("%d arms for %d whole packets", arms, packets)
		}
	})
}

// FuzzAskLimits: whatever a server answers limits@openssh.com with, the
// handshake neither panics nor reads past the reply, a stream that ends
// is the only error, and the request size it yields is between 1 and
// maxChunk.
func FuzzAskLimits(f *testing.F) {
	reply := func(typ byte, body []byte) []byte {
		return packet(typ, append(binary.BigEndian.AppendUint32(nil, 1), body...))
	}
	f.Add(reply(fxpExtendedReply, make([]byte, 32)))
	f.Add(reply(fxpExtendedReply, binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 262144), 261120), 261120), 64)))
	f.Add(reply(fxpStatus, []byte{0, 0, 0, 8}))
	f.Add(reply(fxpVersion, nil))
	f.Add([]byte{0, 0, 0, 5, fxpExtendedReply, 0, 0, 0, 2})
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		data := append(stream, "trailing"...) // what pkg/sftp would read next
		r := bytes.NewReader(data)
		lim, warning, err := askLimits(r, io.Discard)
		if err != nil && (warning != "" || lim != (serverLimits{})) {
			t.Fatalf("error %v with a warning %q or limits %+v", err, warning, lim)
		}
		if warning != "" && lim != (serverLimits{}) {
			t.Fatalf("warning %q with limits %+v", warning, lim)
		}
		if c := lim.chunk(); c < 1 || c > maxChunk {
			t.Fatalf("chunk %d from %+v", c, lim)
		}
		if err == nil {
			// Exactly one packet was read: the rest of the stream is
			// pkg/sftp's.
			if read, want := len(data)-r.Len(), 4+int(binary.BigEndian.Uint32(data)); read != want {
				t.Fatalf("askLimits read %d bytes of a %d-byte reply", read, want)
			}
		}
	})
}
