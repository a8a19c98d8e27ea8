package kexinit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// pkt builds a packet header by hand: length, padding length, then body.
func pkt(length uint32, padding byte, body ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, length)
	b = append(b, padding)
	return append(b, body...)
}

func TestParsePacket(t *testing.T) {
	kex := unitKexInit().Marshal()
	framed := AppendPacket(nil, kex)
	tests := []struct {
		name    string
		b       []byte
		max     uint32
		payload []byte
		n       int
	}{
		{"framed KEXINIT, exact", framed, 35000, kex, len(framed)},
		{"framed KEXINIT, more after", append(append([]byte(nil), framed...), 0, 0, 0, 12), 35000, kex, len(framed)},
		{"smallest packet", pkt(2, 0, 20), 35000, []byte{20}, 6},
		{"padding leaves one byte", pkt(6, 4, 2, 0, 0, 0, 0), 35000, []byte{2}, 10},
		{"length at max", pkt(6, 4, 2, 0, 0, 0, 0), 6, []byte{2}, 10},
		{"no padding", pkt(4, 0, 20, 1, 2), 35000, []byte{20, 1, 2}, 8},
		{"35000 bytes, RFC minimum", AppendPacket(nil, make([]byte, 34991)), 35000, make([]byte, 34991), 35000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, n, err := ParsePacket(tt.b, tt.max)
			if err != nil {
				t.Fatalf("ParsePacket: %v", err)
			}
			if !bytes.Equal(payload, tt.payload) || n != tt.n {
				t.Errorf("ParsePacket = %d-byte payload %.32x..., n %d; want %d-byte %.32x..., n %d",
					len(payload), payload, n, len(tt.payload), tt.payload, tt.n)
			}
		})
	}
}

func TestParsePacketShort(t *testing.T) {
	framed := AppendPacket(nil, unitKexInit().Marshal())
	// Every proper prefix is short, never malformed and never a payload.
	for i := range len(framed) {
		if _, _, err := ParsePacket(framed[:i], 35000); err != errShort {
			t.Fatalf("ParsePacket(framed[:%d]) = %v, want errShort", i, err)
		}
	}
}

func TestParsePacketRejects(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		max  uint32
	}{
		// A hostile length is refused from its four bytes alone, before a
		// reader would wait for (or buffer) the rest.
		{"length 0xFFFFFFF0, header only", pkt(0xFFFFFFF0, 0)[:4], 35000},
		{"length 0xFFFFFFFF", pkt(0xFFFFFFFF, 4), 35000},
		{"length max+1", pkt(35001, 4), 35000},
		{"length over a zero max", pkt(2, 0, 20), 0},
		{"length 0", pkt(0, 0), 35000},
		{"length 0, header only", pkt(0, 0)[:4], 35000},
		{"length 1", pkt(1, 0, 20), 35000},
		{"padding fills the packet", pkt(8, 7, 20, 0, 0, 0, 0, 0, 0, 0), 35000},
		{"padding over the packet", pkt(8, 8, 20, 0, 0, 0, 0, 0, 0, 0), 35000},
		{"padding 255 in a short packet", pkt(12, 255), 35000},
		{"padding equal to length", pkt(4, 4, 20, 0, 0), 35000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, n, err := ParsePacket(tt.b, tt.max)
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("ParsePacket = %x, %d, %v; want a *MalformedError", payload, n, err)
			}
			if me.Where != "packet" || me.What == "" {
				t.Errorf("error %+v, want Where packet and a What", me)
			}
			if payload != nil || n != 0 {
				t.Errorf("ParsePacket returned %x, %d with its error", payload, n)
			}
		})
	}
}

func TestAppendPacketPadding(t *testing.T) {
	for size := 1; size <= 70; size++ {
		payload := bytes.Repeat([]byte{0xab}, size)
		prefix := []byte("keep")
		b := AppendPacket(prefix, payload)
		if !bytes.HasPrefix(b, prefix) {
			t.Fatalf("size %d: AppendPacket lost the prefix", size)
		}
		b = b[len(prefix):]
		if len(b)%8 != 0 {
			t.Errorf("size %d: packet is %d bytes, not a multiple of 8", size, len(b))
		}
		if pad := int(b[4]); pad < 4 || pad > 255 {
			t.Errorf("size %d: padding %d", size, pad)
		}
		got, n, err := ParsePacket(b, 35000)
		if err != nil || n != len(b) || !bytes.Equal(got, payload) {
			t.Errorf("size %d: ParsePacket(AppendPacket) = %x, %d, %v", size, got, n, err)
		}
	}
}

// disconnect builds an SSH_MSG_DISCONNECT payload.
func disconnect(code uint32, desc string) []byte {
	b := []byte{msgDisconnect}
	b = binary.BigEndian.AppendUint32(b, code)
	b = binary.BigEndian.AppendUint32(b, uint32(len(desc)))
	b = append(b, desc...)
	return binary.BigEndian.AppendUint32(b, 0) // empty language tag
}

func TestReadHelloBeforeKexInit(t *testing.T) {
	const banner = "SSH-2.0-x\r\n"
	kex := AppendPacket(nil, unitKexInit().Marshal())
	ignore := AppendPacket(nil, []byte{msgIgnore, 0, 0, 0, 3, 'a', 'b', 'c'})
	debug := AppendPacket(nil, []byte{msgDebug, 1, 0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0})
	unimpl := AppendPacket(nil, []byte{msgUnimplemented, 0, 0, 0, 9})
	ok := []struct {
		name    string
		after   [][]byte
		lim     Limits
		skipped int
	}{
		{"KEXINIT at once", [][]byte{kex}, Limits{}, 0},
		{"IGNORE, DEBUG, UNIMPLEMENTED first", [][]byte{ignore, debug, unimpl, kex}, Limits{}, 3},
		{"as many IGNOREs as allowed", [][]byte{bytes.Repeat(ignore, 64), kex}, Limits{}, 64},
		{"100 IGNOREs with room for them", [][]byte{bytes.Repeat(ignore, 100), kex}, Limits{MaxSkipped: 100}, 100},
		{"KEXINIT then more", [][]byte{kex, ignore, []byte("garbage")}, Limits{}, 0},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			h, err := helloOf(banner+string(bytes.Join(tt.after, nil)), tt.lim)
			if err != nil {
				t.Fatalf("ReadHello: %v", err)
			}
			if h.Skipped != tt.skipped {
				t.Errorf("Skipped = %d, want %d", h.Skipped, tt.skipped)
			}
			if !bytes.Equal(h.Payload, unitKexInit().Marshal()) || h.KexInit.HasshServer() != unitKexInit().HasshServer() {
				t.Errorf("hello %+v", h)
			}
		})
	}
	bad := []struct {
		name  string
		after [][]byte
		lim   Limits
		kind  Kind
	}{
		{"DISCONNECT", [][]byte{AppendPacket(nil, disconnect(2, "Too many connections\x1b[2J"))}, Limits{}, KindDisconnect},
		{"DISCONNECT without a reason", [][]byte{AppendPacket(nil, []byte{msgDisconnect})}, Limits{}, KindDisconnect},
		{"DISCONNECT with a lying length", [][]byte{AppendPacket(nil, disconnect(2, "x")[:9])}, Limits{}, KindDisconnect},
		{"DISCONNECT after IGNORE", [][]byte{ignore, AppendPacket(nil, disconnect(11, "bye"))}, Limits{}, KindDisconnect},
		{"100 IGNOREs", [][]byte{bytes.Repeat(ignore, 100), kex}, Limits{}, KindLimit},
		{"too many bytes", [][]byte{bytes.Repeat(ignore, 1000), kex}, Limits{MaxSkipped: 10000, MaxBytes: 4096}, KindLimit},
		{"SERVICE_ACCEPT instead", [][]byte{AppendPacket(nil, []byte{6, 0, 0, 0, 0})}, Limits{}, KindMalformed},
		{"NEWKEYS instead", [][]byte{AppendPacket(nil, []byte{21})}, Limits{}, KindMalformed},
		{"huge length", [][]byte{pkt(0xFFFFFFF0, 4)}, Limits{}, KindMalformed},
		{"packet over MaxPacketLen", [][]byte{kex}, Limits{MaxPacketLen: 64}, KindMalformed},
		{"padding too long", [][]byte{pkt(8, 200, 20, 0, 0, 0, 0, 0, 0, 0)}, Limits{}, KindMalformed},
		{"truncated KEXINIT payload", [][]byte{AppendPacket(nil, unitKexInit().Marshal()[:40])}, Limits{}, KindMalformed},
		{"KEXINIT cut by close", [][]byte{kex[:len(kex)-1]}, Limits{}, KindClosed},
		{"closed after banner", nil, Limits{}, KindClosed},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			h, err := helloOf(banner+string(bytes.Join(tt.after, nil)), tt.lim)
			if KindOf(err) != tt.kind {
				t.Fatalf("ReadHello = %+v, %v; want %s", h, err, tt.kind)
			}
			var e *Error
			errors.As(err, &e)
			if e.Phase != "kexinit" {
				t.Errorf("phase %q, want kexinit", e.Phase)
			}
			checkDetail(t, err)
		})
	}
}

// A truncated KEXINIT inside a whole packet is malformed, and the error
// reaches the MalformedError that names the field.
func TestReadHelloMalformedUnwrapsToField(t *testing.T) {
	payload := unitKexInit().Marshal()[:30] // inside kex_algorithms
	_, err := helloOf("SSH-2.0-x\r\n"+string(AppendPacket(nil, payload)), Limits{})
	var me *MalformedError
	if !errors.As(err, &me) || me.Where != "kex_algorithms" {
		t.Errorf("ReadHello = %v, want a MalformedError in kex_algorithms", err)
	}
}

// The scanner works on pushed bytes: one byte at a time gives the same
// hello as one read, and a read error mid-packet is the reader's.
func TestReadHelloChunking(t *testing.T) {
	in := "pre\r\n" + unitServerHello("SSH-2.0-x\r\n")
	whole, err := helloOf(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	one, err := ReadHello(iotest.OneByteReader(strings.NewReader(in)), Limits{})
	if err != nil {
		t.Fatalf("one byte at a time: %v", err)
	}
	if one.KexInit.HasshServer() != whole.KexInit.HasshServer() || !bytes.Equal(one.Payload, whole.Payload) || one.Banner != whole.Banner {
		t.Errorf("one byte at a time: %+v, want %+v", one, whole)
	}
	half, err := ReadHello(iotest.HalfReader(strings.NewReader(in)), Limits{})
	if err != nil || !bytes.Equal(half.Payload, whole.Payload) {
		t.Errorf("half reads: %+v, %v", half, err)
	}
	cut := io.MultiReader(strings.NewReader(in[:len(in)-20]), iotest.ErrReader(os.ErrDeadlineExceeded))
	_, err = ReadHello(cut, Limits{})
	if KindOf(err) != KindTimeout || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("deadline inside the KEXINIT: %v, want %s wrapping the deadline", err, KindTimeout)
	}
}

// A hostile length is refused after its four bytes: the reader neither
// buffers nor waits for the four gigabytes it announces.
func TestHugeLengthReadsNothingMore(t *testing.T) {
	in := io4GiB{prefix: append([]byte("SSH-2.0-x\r\n"), pkt(0xFFFFFFF0, 4)...)}
	var before, after runtimeMem
	before.read()
	_, err := ReadHello(&in, Limits{})
	after.read()
	if KindOf(err) != KindMalformed {
		t.Fatalf("ReadHello = %v, want %s", err, KindMalformed)
	}
	if in.n > 2*4096 {
		t.Errorf("read %d bytes after a length of 0xFFFFFFF0", in.n)
	}
	if d := after.total - before.total; d > 1<<20 {
		t.Errorf("allocated %d bytes for a hostile length", d)
	}
}

// io4GiB serves prefix, then zeros for ever.
type io4GiB struct {
	prefix []byte
	n      int
}

func (r *io4GiB) Read(p []byte) (int, error) {
	n := copy(p, r.prefix)
	r.prefix = r.prefix[n:]
	clear(p[n:])
	r.n += len(p)
	return len(p), nil
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}
