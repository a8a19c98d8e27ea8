package sftpx

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// namePacket builds a NAME reply with id and the names, each with a
// longname and attributes of every kind (size, ids, mode, times, one
// extension), and OpenSSH's end-of-list flag after them.
func namePacket(id uint32, names ...string) []byte {
	body := binary.BigEndian.AppendUint32(nil, id)
	body = binary.BigEndian.AppendUint32(body, uint32(len(names)))
	for _, n := range names {
		body = appendString(body, []byte(n))
		body = appendString(body, []byte("-rw-r--r-- 1 u g 0 Jan 1 "+n))
		body = binary.BigEndian.AppendUint32(body, 0x8000000f)
		body = binary.BigEndian.AppendUint64(body, 7)     // size
		body = binary.BigEndian.AppendUint64(body, 1<<32) // uid, gid
		body = binary.BigEndian.AppendUint32(body, 0o100644)
		body = binary.BigEndian.AppendUint64(body, 2<<32|3) // atime, mtime
		body = binary.BigEndian.AppendUint32(body, 1)
		body = appendString(body, []byte("ext@x"))
		body = appendString(body, []byte("v"))
	}
	body = append(body, 1)
	return packet(fxpName, body)
}

// names reads the names of a NAME packet back.
func names(t *testing.T, pkt []byte) []string {
	t.Helper()
	if int(binary.BigEndian.Uint32(pkt))+4 != len(pkt) {
		t.Fatalf("length prefix %d for %d bytes", binary.BigEndian.Uint32(pkt), len(pkt))
	}
	b := pkt[13:]
	var out []string
	for range binary.BigEndian.Uint32(pkt[9:13]) {
		n, rest, ok := sshString(b)
		if !ok {
			t.Fatal("truncated")
		}
		_, rest, _ = sshString(rest)
		_, rest, err := attrsLen(rest)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(n))
		b = rest
	}
	if !bytes.Equal(b, []byte{1}) {
		t.Fatalf("after the names: %q", b)
	}
	return out
}

func TestMarkSuspects(t *testing.T) {
	in := []string{"ok", ".", "..", "../../etc/passwd", "a/b", "", "x\x00y", "50%/x", "\x1b[2J", "%2F"}
	got := names(t, markSuspects(namePacket(9, in...)))
	for i, n := range got {
		name, why := listedName(n)
		if name != in[i] {
			t.Errorf("%q came back as %q", in[i], name)
		}
		wantSuspect := in[i] != "ok" && in[i] != "\x1b[2J" && in[i] != "%2F"
		if (why != "") != wantSuspect {
			t.Errorf("%q: suspect %q, want %v", in[i], why, wantSuspect)
		}
		if strings.Contains(n, "/") {
			t.Errorf("%q is passed to pkg/sftp as %q, with a '/'", in[i], n)
		}
	}
	// A packet with nothing to mark is the same packet.
	p := namePacket(1, "a", "b")
	if q := markSuspects(p); !bytes.Equal(p, q) {
		t.Error("a clean packet was rewritten")
	}
	// One it cannot parse is left for pkg/sftp to refuse.
	bad := namePacket(1, "a/b")[:30]
	binary.BigEndian.PutUint32(bad, uint32(len(bad)-4))
	if q := markSuspects(bad); !bytes.Equal(bad, q) {
		t.Error("a malformed packet was rewritten")
	}
}

// Marked names longer than pkg/sftp reads lose their text but are still
// reported as suspect, not cut to their last element.
func TestMarkSuspectsTooLarge(t *testing.T) {
	long := strings.Repeat("/", 100<<10)
	got := names(t, markSuspects(namePacket(1, long, "ok")))
	if got[0] != suspectMark || got[1] != "ok" {
		t.Errorf("names %q", got)
	}
	if _, why := listedName(got[0]); why == "" {
		t.Error("not reported as suspect")
	}
}

// The filter changes nothing but the NAME replies to READDIRs, whatever
// the sizes the stream is read in: data, STATUS, a NAME answering
// REALPATH (a path, with '/') and packets too short to hold an id pass
// byte for byte.
func TestNameFilterStream(t *testing.T) {
	ids := &readdirIDs{}
	ids.sent(packet(fxpReaddir, binary.BigEndian.AppendUint32(nil, 5)))
	data := packet(103, append(binary.BigEndian.AppendUint32(nil, 4), bytes.Repeat([]byte("d/"), 5000)...))
	realpath := namePacket(6, "/home/u")
	short := []byte{0, 0, 0, 1, 99}
	readdir := namePacket(5, "ok", "../x")
	status := packet(fxpStatus, binary.BigEndian.AppendUint32(nil, 5))
	var in bytes.Buffer
	for _, p := range [][]byte{data, realpath, short, readdir, status} {
		in.Write(p)
	}
	out, err := io.ReadAll(iotest.OneByteReader(&nameFilter{r: bytes.NewReader(in.Bytes()), ids: ids}))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append(append([]byte{}, data...), realpath...), short...), markSuspects(readdir)...)
	want = append(want, status...)
	if !bytes.Equal(out, want) {
		t.Fatalf("filtered stream differs: %d bytes, want %d", len(out), len(want))
	}
	if got := names(t, markSuspects(readdir)); got[1] != suspectMark+"..%2Fx" {
		t.Errorf("READDIR names %q", got)
	}
	if len(ids.ids) != 0 {
		t.Errorf("answered READDIR ids kept: %v", ids.ids)
	}
}

// FuzzMarkSuspects: no packet panics the rewrite; what comes out is a
// packet whose length prefix is right, and, when rewritten, holds no
// name with a '/' that listedName would not report.
func FuzzMarkSuspects(f *testing.F) {
	f.Add(namePacket(1, "ok", "../x", "", "a\x00b"))
	f.Add(namePacket(2, ".", ".."))
	f.Add(namePacket(3))
	f.Add([]byte{0, 0, 0, 9, fxpName, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) < 13 || int(binary.BigEndian.Uint32(pkt))+4 != len(pkt) {
			return // nameFilter hands markSuspects only whole packets
		}
		out := markSuspects(pkt)
		if bytes.Equal(out, pkt) {
			return
		}
		if int(binary.BigEndian.Uint32(out))+4 != len(out) {
			t.Fatalf("length prefix %d for %d bytes", binary.BigEndian.Uint32(out), len(out))
		}
		b := out[13:]
		for range binary.BigEndian.Uint32(out[9:13]) {
			n, rest, ok := sshString(b)
			if !ok {
				t.Fatal("rewritten packet truncated")
			}
			if _, why := listedName(string(n)); strings.ContainsRune(string(n), '/') || (why == "" && suspectName(string(n))) {
				t.Fatalf("name %q passes unreported", n)
			}
			_, rest, _ = sshString(rest)
			_, rest, err := attrsLen(rest)
			if err != nil {
				t.Fatal(err)
			}
			b = rest
		}
	})
}

// BenchmarkNameFilter: what the filter costs a download, whose replies
// are DATA packets read as pkg/sftp reads them (length, then the rest).
//
//	go test ./sftpx -run '^$' -bench NameFilter
func BenchmarkNameFilter(b *testing.B) {
	const chunk = 255 << 10
	var stream []byte
	for i := range 64 {
		stream = append(stream, packet(103, append(binary.BigEndian.AppendUint32(nil, uint32(i)), make([]byte, chunk)...))...)
	}
	buf := make([]byte, chunk+64)
	read := func(b *testing.B, r io.Reader) {
		for {
			if _, err := io.ReadFull(r, buf[:4]); err == io.EOF {
				return
			} else if err != nil {
				b.Fatal(err)
			}
			n := binary.BigEndian.Uint32(buf[:4])
			if _, err := io.ReadFull(r, buf[:n]); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, filtered := range []bool{false, true} {
		b.Run(map[bool]string{false: "raw", true: "filtered"}[filtered], func(b *testing.B) {
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				var r io.Reader = bytes.NewReader(stream)
				if filtered {
					r = &nameFilter{r: r, ids: &readdirIDs{}}
				}
				read(b, r)
			}
		})
	}
}
