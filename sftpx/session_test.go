package sftpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// recordWriter keeps every Write as its own slice.
type recordWriter struct{ writes [][]byte }

func (r *recordWriter) Write(p []byte) (int, error) {
	r.writes = append(r.writes, slices.Clone(p))
	return len(p), nil
}
func (r *recordWriter) Close() error { return nil }

func TestPacketWriterWholePackets(t *testing.T) {
	pk := func(typ byte, n int) []byte { return packet(typ, bytes.Repeat([]byte{typ}, n)) }
	init, a, b, c := pk(1, 4), pk(6, 40000), pk(17, 3), pk(3, 0)
	stream := slices.Concat(init, a, b, c)
	// Every way of cutting the stream into writes, at a few awkward
	// points (inside a length prefix, at a boundary, inside a body), must
	// reach the channel as whole packets, INIT dropped.
	cuts := [][]int{
		nil,
		{2},
		{len(init)},
		{len(init) + 2, len(init) + 9, len(init) + len(a) - 1},
		{1, 2, 3, 4, 5, len(init) + 4, len(init) + 5, len(init) + len(a) + 1},
	}
	for _, cut := range cuts {
		rw := &recordWriter{}
		pw := &packetWriter{w: rw, drop: 1}
		prev := 0
		for _, at := range append(cut, len(stream)) {
			if n, err := pw.Write(stream[prev:at]); err != nil || n != at-prev {
				t.Fatalf("cuts %v: Write = %d, %v", cut, n, err)
			}
			prev = at
		}
		want := [][]byte{a, b, c}
		if len(rw.writes) != len(want) {
			t.Fatalf("cuts %v: %d writes, want %d", cut, len(rw.writes), len(want))
		}
		for i := range want {
			if !bytes.Equal(rw.writes[i], want[i]) {
				t.Errorf("cuts %v: write %d is %d bytes, want packet of %d", cut, i, len(rw.writes[i]), len(want[i]))
			}
		}
	}
}

func TestLimitsChunk(t *testing.T) {
	for _, c := range []struct {
		l    serverLimits
		want int
	}{
		{serverLimits{}, safeChunk},
		{serverLimits{Packet: 256 << 10, Read: 261120, Write: 261120, Handles: 19995}, 261120}, // OpenSSH
		{serverLimits{Packet: 34000, Read: 32768, Write: 32768}, 32768},
		{serverLimits{Packet: 34000, Read: 1 << 20, Write: 1 << 20}, 34000 - 1024},
		{serverLimits{Read: 16384, Write: 1 << 20}, 16384},
		{serverLimits{Read: 1 << 30, Write: 1 << 30}, maxChunk},
		{serverLimits{Packet: 1000, Read: 1 << 20, Write: 1 << 20}, safeChunk},
		{serverLimits{Read: 0, Write: 1 << 20}, safeChunk},
	} {
		if got := c.l.chunk(); got != c.want {
			t.Errorf("%+v: chunk %d, want %d", c.l, got, c.want)
		}
	}
}

// OpenSSH announces limits@openssh.com; its answer sizes the requests.
func TestSSHDLimits(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatalf("Dial: %v\n%s", err, p.Log())
	}
	defer c.Close()
	if _, ok := c.SFTP().HasExtension(limitsExtension); !ok {
		t.Skip("this sshd does not announce " + limitsExtension)
	}
	if c.ses.limits.Read < safeChunk || c.ses.chunk <= safeChunk || c.ses.chunk != c.ses.limits.chunk() {
		t.Errorf("limits %+v, chunk %d", c.ses.limits, c.ses.chunk)
	}
	// pkg/sftp saw the server's VERSION as if it had asked: the
	// extensions are there, and requests work.
	if _, ok := c.SFTP().HasExtension(posixRename); !ok {
		t.Errorf("the replayed VERSION lost %s", posixRename)
	}
	if _, err := c.List(context.Background(), "/"); err != nil {
		t.Errorf("List: %v", err)
	}
}

// pkg/sftp's server does not announce limits: the safe size.
func TestNoLimitsSafeChunk(t *testing.T) {
	_, c, _ := dialServer(t, serverConfig{})
	if c.ses.chunk != safeChunk || c.ses.limits != (serverLimits{}) {
		t.Errorf("chunk %d, limits %+v", c.ses.chunk, c.ses.limits)
	}
}

// A server that opens a file for reading and writing with a write-only
// handler (pkg/sftp's request server without OpenFileWriter) answers reads
// with OK after writing zeros: the upload must notice before sending a
// byte, start over on a write-only handle, and read the file back after.
func TestPutServerWithoutReadsOnWriteHandles(t *testing.T) {
	s, c, ev := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FilePut = writeOnly{h.FilePut}
		return h
	}})
	data := randomBytes(t, 200000)
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, data)
	r := c.PutFile(context.Background(), local, "/dst", TransferOptions{Verify: true})
	if r.Err != nil || r.SHA256 != sum(data) || r.Proof != ProofReadBack {
		t.Fatalf("PutFile: %+v", r)
	}
	if got := s.fs.read(t, "/dst"); !bytes.Equal(got, data) {
		t.Fatalf("the server holds %d bytes, want the %d put", len(got), len(data))
	}
	if names := s.fs.names(t, "/"); !slices.Equal(names, []string{"dst"}) {
		t.Errorf("server directory %q: the probed temporary file remains", names)
	}
	var verified int64
	for _, e := range ev.all {
		if e.Kind == EventProgress && e.Op == "put" && e.Verify {
			verified = e.Bytes
		}
	}
	if verified != int64(len(data)) {
		t.Errorf("read back %d bytes after the upload, want %d", verified, len(data))
	}
}

// writeOnly hides the handler's OpenFile, as a write-only server would.
type writeOnly struct{ w sftp.FileWriter }

func (w writeOnly) Filewrite(r *sftp.Request) (io.WriterAt, error) { return w.w.Filewrite(r) }

// A server that acknowledges writes but stores other bytes, and serves
// reads: the chunk read back right after its write differs, and nothing
// is renamed into place.
func TestPutDetectsCorruptionWhileUploading(t *testing.T) {
	const at = 100003
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FilePut = corrupting{h.FilePut.(sftp.OpenFileWriter), at}
		return h
	}})
	s.fs.write(t, "/dst", []byte("precious"))
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, randomBytes(t, 300000))
	r := c.PutFile(context.Background(), local, "/dst", TransferOptions{Verify: true})
	var ve *VerifyError
	if !errors.As(r.Err, &ve) || !ve.Differs || ve.At != at {
		t.Fatalf("PutFile: %v, want a VerifyError at byte %d", r.Err, at)
	}
	s.fs.untouched(t, "/dst", "precious")
}

type corrupting struct {
	sftp.OpenFileWriter
	at int64
}

func (c corrupting) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	f, err := c.OpenFileWriter.OpenFile(r)
	if err != nil {
		return nil, err
	}
	return corruptFile{f, c.at}, nil
}

type corruptFile struct {
	sftp.WriterAtReaderAt
	at int64
}

func (f corruptFile) WriteAt(p []byte, off int64) (int, error) {
	if off <= f.at && f.at < off+int64(len(p)) {
		p = slices.Clone(p)
		p[f.at-off] ^= 0x80
	}
	return f.WriterAtReaderAt.WriteAt(p, off)
}

// A server that opens a file for reading and writing, passes the probe,
// and then fails the reads of the file being written (as stores that
// serve a file only once it is closed do): the upload goes on, and the
// file is read back whole after closing.
func TestPutReadsFailWhileUploading(t *testing.T) {
	s, c, ev := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FilePut = busyReads{h.FilePut.(sftp.OpenFileWriter)}
		return h
	}})
	data := randomBytes(t, 200000)
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, data)
	r := c.PutFile(context.Background(), local, "/dst", TransferOptions{Verify: true})
	if r.Err != nil || r.SHA256 != sum(data) || r.Proof != ProofReadBack {
		t.Fatalf("PutFile: %+v", r)
	}
	if got := s.fs.read(t, "/dst"); !bytes.Equal(got, data) {
		t.Fatalf("the server holds %d bytes", len(got))
	}
	var warned bool
	var verified int64
	for _, e := range ev.all {
		if e.Kind == EventWarning && strings.Contains(e.Message, "read back after the upload") {
			warned = true
		}
		if e.Kind == EventProgress && e.Verify {
			verified = e.Bytes
		}
	}
	if !warned || verified != int64(len(data)) {
		t.Errorf("warned %v, read back %d bytes after the upload; want a warning and %d", warned, verified, len(data))
	}
}

type busyReads struct{ sftp.OpenFileWriter }

func (b busyReads) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	f, err := b.OpenFileWriter.OpenFile(r)
	if err != nil {
		return nil, err
	}
	return busyFile{f}, nil
}

type busyFile struct{ sftp.WriterAtReaderAt }

func (f busyFile) ReadAt(p []byte, off int64) (int, error) {
	if off == 0 && len(p) == 1 {
		return f.WriterAtReaderAt.ReadAt(p, off) // the probe
	}
	return 0, errors.New("not readable until closed")
}
