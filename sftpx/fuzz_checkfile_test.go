package sftpx

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// FuzzParseCheckFile: no reply panics, and what is accepted is one
// SHA-256 that the reply ends with.
func FuzzParseCheckFile(f *testing.F) {
	h := bytes.Repeat([]byte{0xab}, 32)
	f.Add(append(appendString(nil, []byte("sha256")), h...))
	f.Add(append(appendString(appendString(nil, []byte("check-file")), []byte("sha256")), h...))
	f.Add(append(appendString(nil, []byte("md5")), h[:16]...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseCheckFile(b)
		if err != nil {
			return
		}
		if len(got) != 32 || !bytes.HasSuffix(b, got) {
			t.Fatalf("parseCheckFile(%x) = %x", b, got)
		}
	})
}

// FuzzDemux: whatever the server sends, the demux does not panic or
// allocate past its bound; with no request of ours waiting, pkg/sftp
// reads the bytes the server sent, all of them up to a cut inside a
// packet's first nine bytes (the stream is dead then anyway); and a reply
// to one of ours is taken out of the stream, whole.
func FuzzDemux(f *testing.F) {
	reply := func(typ byte, id uint32, body []byte) []byte {
		return packet(typ, append(binary.BigEndian.AppendUint32(nil, id), body...))
	}
	ours := reply(fxpExtendedReply, ownID|1, append(appendString(nil, []byte("sha256")), make([]byte, 32)...))
	theirs := reply(103, 7, []byte("data"))
	f.Add(append(append(append([]byte{}, theirs...), ours...), theirs...), true)
	f.Add(append(append([]byte{}, theirs...), theirs...), false)
	f.Add([]byte{0, 0, 0, 1, 2}, true)
	f.Add([]byte{0, 0, 0, 200, 201, 0x80, 0, 0, 1}, true)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 201, 0x80, 0, 0, 1}, true)
	f.Fuzz(func(t *testing.T, in []byte, wait bool) {
		d := newDemux(bytes.NewReader(in))
		var ch chan extReply
		if wait {
			ch, _ = d.wait(ownID | 1)
		}
		out, _ := io.ReadAll(iotestOneByte{d})
		if !wait && (!bytes.HasPrefix(in, out) || len(in)-len(out) >= 9) {
			t.Fatalf("with nothing waiting, %x came out of %x", out, in)
		}
		if len(out) > len(in) {
			t.Fatalf("%d bytes out of %d", len(out), len(in))
		}
		if wait {
			select {
			case r := <-ch:
				if r.err == nil && !bytes.Contains(in, r.body) {
					t.Fatalf("a reply that was not sent: %x", r.body)
				}
			default:
				if !bytes.HasPrefix(in, out) || len(in)-len(out) >= 9 {
					t.Fatalf("no reply taken, yet %x came out of %x", out, in)
				}
			}
		}
	})
}

// iotestOneByte reads in small pieces, as pkg/sftp's 4-byte length reads
// do, so that the packet boundaries fall inside reads.
type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) > 3 {
		p = p[:3]
	}
	return o.r.Read(p)
}
