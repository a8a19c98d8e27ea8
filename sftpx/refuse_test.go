package sftpx

import (
	"context"
	"encoding/binary"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/sftp"
)

// SFTP packet types the refuser recognises (draft-ietf-secsh-filexfer-02).
const (
	fxpLstat    = 7
	fxpFstat    = 8
	fxpSetstat  = 9
	fxpFsetstat = 10
	fxpRealpath = 16
)

// refusal is a request a refuser answers itself: packets of type typ (for
// SSH_FXP_EXTENDED, named ext) get a STATUS of code, or reply when set (a
// whole packet, its id patched in), instead of reaching the server.
type refusal struct {
	typ   byte
	ext   string
	code  uint32
	reply []byte
	// attrs: only OPENs whose attributes are not empty, as a server that
	// takes none would refuse them.
	attrs bool
}

// refuser sits in front of an in-process server's SFTP stream and answers
// the requests it was told to refuse, as a server that does not implement
// them would; it adds extensions to the server's VERSION (announce), so
// that the client sends what the server then refuses.
type refuser struct {
	io.ReadWriteCloser
	refuse   []refusal
	announce []string

	mu       sync.Mutex // the stream to the client: whole packets only
	wbuf     []byte     // the server's packet being written
	versions bool       // the VERSION went out
	rbuf     []byte     // the client's bytes not yet split into packets
	pending  []byte     // the client's packets for the server
	refused  map[refusalKey]int
	refusedM *sync.Mutex
}

type refusalKey struct {
	typ byte
	ext string
}

func refusing(announce []string, refuse ...refusal) (func(io.ReadWriteCloser) io.ReadWriteCloser, func(typ byte, ext string) int) {
	counts := map[refusalKey]int{}
	var mu sync.Mutex
	count := func(typ byte, ext string) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[refusalKey{typ, ext}]
	}
	return func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		return &refuser{ReadWriteCloser: rwc, refuse: refuse, announce: announce, refused: counts, refusedM: &mu}
	}, count
}

func (r *refuser) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		buf := make([]byte, 64<<10)
		n, err := r.ReadWriteCloser.Read(buf)
		r.rbuf = append(r.rbuf, buf[:n]...)
		for len(r.rbuf) >= 4 {
			size := int(binary.BigEndian.Uint32(r.rbuf))
			if len(r.rbuf) < 4+size {
				break
			}
			pkt := r.rbuf[:4+size]
			r.rbuf = r.rbuf[4+size:]
			if reply := r.answer(pkt); reply != nil {
				r.mu.Lock()
				_, werr := r.ReadWriteCloser.Write(reply)
				r.mu.Unlock()
				if werr != nil {
					return 0, werr
				}
				continue
			}
			r.pending = append(r.pending, pkt...)
		}
		if err != nil && len(r.pending) == 0 {
			return 0, err
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// answer is the refuser's reply to the client's packet pkt, or nil to
// pass it to the server.
func (r *refuser) answer(pkt []byte) []byte {
	if len(pkt) < 9 {
		return nil
	}
	typ, id := pkt[4], pkt[5:9]
	ext := ""
	if typ == fxpExtended {
		name, _, ok := sshString(pkt[9:])
		if !ok {
			return nil
		}
		ext = string(name)
	}
	for _, f := range r.refuse {
		if f.typ != typ || f.ext != ext {
			continue
		}
		if f.attrs && binary.BigEndian.Uint32(pkt[len(pkt)-4:]) == 0 {
			continue // pkg/sftp's OPEN with empty attributes ends with their flags, 0
		}
		r.refusedM.Lock()
		r.refused[refusalKey{typ, ext}]++
		r.refusedM.Unlock()
		if f.reply != nil {
			out := append([]byte{}, f.reply...)
			if len(out) >= 9 {
				copy(out[5:9], id)
			}
			return out
		}
		body := append(append([]byte{}, id...), binary.BigEndian.AppendUint32(nil, f.code)...)
		body = appendString(body, []byte("refused by the test"))
		body = appendString(body, nil)
		return packet(fxpStatus, body)
	}
	return nil
}

func (r *refuser) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wbuf = append(r.wbuf, p...)
	for len(r.wbuf) >= 4 {
		size := int(binary.BigEndian.Uint32(r.wbuf))
		if len(r.wbuf) < 4+size {
			break
		}
		pkt := r.wbuf[:4+size]
		if !r.versions && size > 0 && pkt[4] == fxpVersion {
			r.versions = true
			body := append([]byte{}, pkt[5:]...)
			for _, e := range r.announce {
				body = appendString(appendString(body, []byte(e)), []byte("1"))
			}
			pkt = packet(fxpVersion, body)
		}
		if _, err := r.ReadWriteCloser.Write(pkt); err != nil {
			return 0, err
		}
		r.wbuf = r.wbuf[4+size:]
	}
	return len(p), nil
}

const (
	fxOpUnsupported = 8
	fxNoSuchFile    = 2
	fxFailure       = 4
)

// failingWrites fails every write with SSH_FX_FAILURE, as OpenSSH's
// server does on a full disk.
type failingWrites struct{ sftp.FileWriter }

func (f failingWrites) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	if _, err := f.FileWriter.Filewrite(r); err != nil { // creates the file
		return nil, err
	}
	return failWriterAt{}, nil
}

// atClose is a store that creates a file only when its handle is
// closed (object stores behind SFTP gateways): until then the file does
// not exist, so FSETSTAT on the open handle and SETSTAT by name both
// answer "no such file", and a read of it fails.
type atClose struct{ sftp.FileWriter }

func (a atClose) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return &closeCommit{orig: a.FileWriter, r: r}, nil
}

type closeCommit struct {
	orig sftp.FileWriter
	r    *sftp.Request
	mu   sync.Mutex
	buf  []byte
}

func (c *closeCommit) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if end := int(off) + len(p); end > len(c.buf) {
		c.buf = append(c.buf, make([]byte, end-len(c.buf))...)
	}
	return copy(c.buf[off:], p), nil
}

func (c *closeCommit) Close() error {
	w, err := c.orig.Filewrite(c.r)
	if err != nil {
		return err
	}
	if _, err := w.WriteAt(c.buf, 0); err != nil {
		return err
	}
	if cl, ok := w.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

type failWriterAt struct{}

func (failWriterAt) WriteAt([]byte, int64) (int, error) { return 0, sftp.ErrSSHFxFailure }

// Every optional request sshpin sends, refused by a server that does not
// implement it (or answers it wrongly): the transfer still happens, by a
// fallback or without the step, and a warning says what was not done; or,
// where the step is no option, the error names the server's answer and
// the destination is untouched.
func TestServerRefusesOptionalRequests(t *testing.T) {
	fsync := refusal{typ: fxpExtended, ext: fsyncExtension}
	big := randomBytes(t, 3*safeChunk+5)
	tests := []struct {
		name     string
		announce []string
		refuse   []refusal
		hide     []string                          // extensions removed from VERSION
		handlers func(sftp.Handlers) sftp.Handlers // a server-side change
		op       string                            // "put", "replace" (put over /d/f), "link" (put to /d/link -> /d/f), "rm"
		// mode, when set, is the local file's. The server creates every
		// file 0644 whatever the OPEN asks: a 0600 one then needs an
		// FSETSTAT to be private while it is written, and a
		// group-writable one is written 0600 and gets its mode at the
		// end (earlyMode).
		mode fs.FileMode
		// warn: what a warning must say ("" for none); fail: what the
		// error must say ("" for success).
		warn, fail string
	}{
		{name: "FSETSTAT unsupported, SETSTAT by name instead",
			refuse: []refusal{{typ: fxpFsetstat, code: fxOpUnsupported}}, op: "put", mode: 0o600,
			warn: "ignored it: /d/new has mode 0644, want 0600"}, // this server keeps every file 0644
		{name: "FSETSTAT answered no such file, SETSTAT by name instead",
			refuse: []refusal{{typ: fxpFsetstat, code: fxNoSuchFile}}, op: "put", mode: 0o600,
			warn: "ignored it: /d/new has mode 0644, want 0600"}, // this server keeps every file 0644
		{name: "OPEN with a mode refused, opened again without",
			refuse: []refusal{{typ: fxpOpenRequest, attrs: true, code: fxOpUnsupported}}, op: "put", mode: 0o600,
			warn: "ignored it: /d/new has mode 0644, want 0600"}, // this server keeps every file 0644
		{name: "a store that makes the file at close: no such file until then",
			handlers: func(h sftp.Handlers) sftp.Handlers { h.FilePut = atClose{h.FilePut}; return h }, op: "put",
			warn: "refused to make the temporary file of an upload private (FSETSTAT: not found; SETSTAT: not found)"},
		{name: "SETSTAT unsupported, FSETSTAT instead",
			refuse: []refusal{{typ: fxpSetstat, code: fxOpUnsupported}}, op: "put", mode: 0o664},
		{name: "SETSTAT and FSETSTAT unsupported",
			refuse: []refusal{{typ: fxpSetstat, code: fxOpUnsupported}, {typ: fxpFsetstat, code: fxOpUnsupported}}, op: "put", mode: 0o600,
			warn: "refused to make the temporary file of an upload private (FSETSTAT: sftp: \"refused by the test\" (SSH_FX_OP_UNSUPPORTED)"},
		{name: "SETSTAT and FSETSTAT permission denied",
			refuse: []refusal{{typ: fxpSetstat, code: 3}, {typ: fxpFsetstat, code: 3}}, op: "put", mode: 0o664,
			warn: "refused to set the mode of an upload (SETSTAT: permission denied; FSETSTAT: permission denied)"},
		{name: "fsync announced, unsupported",
			announce: []string{fsyncExtension}, refuse: []refusal{withCode(fsync, fxOpUnsupported)}, op: "replace",
			warn: "announces fsync@openssh.com but refused it (sftp: \"refused by the test\" (SSH_FX_OP_UNSUPPORTED)): uploads are renamed into place without a sync"},
		{name: "fsync fails",
			announce: []string{fsyncExtension}, refuse: []refusal{withCode(fsync, fxFailure)}, op: "replace",
			fail: "cannot sync the uploaded file: sftp: \"refused by the test\" (SSH_FX_FAILURE)"},
		{name: "posix-rename announced, unsupported",
			refuse: []refusal{{typ: fxpExtended, ext: posixRename, code: fxOpUnsupported}}, op: "replace",
			warn: "the server lacks posix-rename@openssh.com: the old file was moved aside"},
		{name: "posix-rename fails",
			refuse: []refusal{{typ: fxpExtended, ext: posixRename, code: fxFailure}}, op: "replace",
			fail: "cannot rename into place: sftp: \"refused by the test\" (SSH_FX_FAILURE)"},
		{name: "statvfs unsupported, a write fails",
			refuse:   []refusal{{typ: fxpExtended, ext: statvfsExtension, code: fxOpUnsupported}},
			handlers: func(h sftp.Handlers) sftp.Handlers { h.FilePut = failingWrites{h.FilePut}; return h }, op: "replace",
			fail: "upload failed at byte 0: sftp: \"failure\" (SSH_FX_FAILURE)"},
		{name: "LSTAT unsupported, no posix-rename: STAT instead",
			refuse: []refusal{{typ: fxpLstat, code: fxOpUnsupported}}, hide: []string{posixRename}, op: "replace",
			warn: "the old file was moved aside"},
		{name: "REALPATH unsupported, a put to a link",
			refuse: []refusal{{typ: fxpRealpath, code: fxOpUnsupported}}, op: "link",
			warn: "refused to resolve the link /d/link (REALPATH: sftp: \"refused by the test\" (SSH_FX_OP_UNSUPPORTED)): the link is replaced by the upload"},
		{name: "REALPATH unsupported, no posix-rename, a put to a link",
			refuse: []refusal{{typ: fxpRealpath, code: fxOpUnsupported}}, hide: []string{posixRename}, op: "link",
			warn: "the link is replaced by the upload"},
		{name: "FSTAT unsupported, a get",
			refuse: []refusal{{typ: fxpFstat, code: fxOpUnsupported}}, op: "get",
			warn: "the server refused FSTAT on an open file (sftp: \"refused by the test\" (SSH_FX_OP_UNSUPPORTED)): downloads go one read request at a time"},
		{name: "REALPATH unsupported, rm -r",
			refuse: []refusal{{typ: fxpRealpath, code: fxOpUnsupported}}, op: "rm",
			fail: "cannot tell where the directory resolves to, so it is not removed: sftp: \"refused by the test\" (SSH_FX_OP_UNSUPPORTED)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, refused := refusing(tt.announce, tt.refuse...)
			wrapStream := stream
			if tt.hide != nil {
				wrapStream = func(rwc io.ReadWriteCloser) io.ReadWriteCloser { return stream(hideExtensions(tt.hide...)(rwc)) }
			}
			cfg := serverConfig{wrapStream: wrapStream}
			if tt.handlers != nil {
				cfg.wrap = func(_ net.Conn, h sftp.Handlers) sftp.Handlers { return tt.handlers(h) }
			}
			s, c, ev := dialServer(t, cfg)
			s.fs.write(t, "/d/f", []byte("old"))
			ctx := context.Background()
			local := filepath.Join(t.TempDir(), "src")
			writeLocal(t, local, []byte("new"))
			if tt.mode != 0 {
				if err := os.Chmod(local, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			dst := "/d/f"
			switch tt.op {
			case "put":
				dst = "/d/new"
				err = c.PutFile(ctx, local, dst).Err
			case "replace":
				err = c.PutFile(ctx, local, dst).Err
			case "link":
				if err := s.fs.cl.Symlink("/d/f", "/d/link"); err != nil {
					t.Fatal(err)
				}
				dst = "/d/link"
				err = c.PutFile(ctx, local, dst).Err
			case "rm":
				err = c.Remove(ctx, "/d", true)
			case "get":
				s.fs.write(t, "/d/big", big)
				r := c.GetFile(ctx, "/d/big", local+".down")
				err = r.Err
				if got, _ := os.ReadFile(local + ".down"); err == nil && (string(got) != string(big) || r.SHA256 != sum(big)) {
					t.Errorf("downloaded %d bytes, SHA-256 %s; want %d, %s", len(got), r.SHA256, len(big), sum(big))
				}
			}
			for _, f := range tt.refuse {
				if refused(f.typ, f.ext) == 0 {
					t.Errorf("sshpin never sent the request the server refuses (type %d %s): the test proves nothing", f.typ, f.ext)
				}
			}
			var warnings []string
			for _, e := range ev.all {
				if e.Kind == EventWarning || e.Kind == EventNotAtomic {
					warnings = append(warnings, e.Message)
				}
			}
			switch {
			case tt.fail == "" && err != nil:
				t.Fatalf("%s: %v", tt.op, err)
			case tt.fail != "" && (err == nil || !strings.Contains(err.Error(), tt.fail)):
				t.Fatalf("%s: %v, want an error saying %q", tt.op, err, tt.fail)
			}
			if tt.warn == "" && len(warnings) > 0 {
				t.Errorf("warnings %q, want none", warnings)
			}
			t.Logf("warnings: %q", warnings)
			if tt.warn != "" && !strings.Contains(strings.Join(warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q, want one saying %q", warnings, tt.warn)
			}
			switch {
			case tt.op == "get":
			case tt.op == "rm":
				if !s.fs.exists("/d/f") {
					t.Errorf("rm removed what it could not check")
				}
			case tt.fail != "":
				s.fs.untouched(t, "/d/f", "old")
			default:
				if got := string(s.fs.read(t, dst)); got != "new" {
					t.Errorf("%s holds %q, want the upload", dst, got)
				}
			}
		})
	}
}

func withCode(r refusal, code uint32) refusal { r.code = code; return r }

// The limits@openssh.com reply, malformed or of the wrong type: the
// session starts with the sizes every server takes, and a warning names
// the server's answer.
func TestServerAnswersLimitsWrongly(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reply []byte
		warn  string
	}{
		{"short reply", packet(fxpExtendedReply, make([]byte, 4+8)), "reply is 8 bytes, want 32"},
		{"wrong type", packet(fxpVersion, make([]byte, 4)), "answered limits@openssh.com with packet type 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stream, refused := refusing([]string{limitsExtension}, refusal{typ: fxpExtended, ext: limitsExtension, reply: tt.reply})
			s, c, ev := dialServer(t, serverConfig{wrapStream: stream})
			if refused(fxpExtended, limitsExtension) != 1 {
				t.Fatal("no limits request")
			}
			if c.ses.chunk != safeChunk {
				t.Errorf("chunk %d, want %d", c.ses.chunk, safeChunk)
			}
			var warned bool
			for _, e := range ev.all {
				warned = warned || e.Kind == EventWarning && strings.Contains(e.Message, tt.warn)
			}
			if !warned {
				t.Errorf("no warning saying %q: %+v", tt.warn, ev.all)
			}
			local := filepath.Join(t.TempDir(), "src")
			data := randomBytes(t, 3*safeChunk+5)
			writeLocal(t, local, data)
			if r := c.PutFile(context.Background(), local, "/up"); r.Err != nil || r.SHA256 != sum(data) {
				t.Fatalf("PutFile after the bad limits: %+v", r)
			}
			if got := s.fs.read(t, "/up"); string(got) != string(data) {
				t.Error("the upload differs")
			}
		})
	}
}

// cp from a source server that refuses FSTAT: the copy reads it one
// request at a time, to the size its STAT gave, and says so.
func TestCopyFromServerRefusingFstat(t *testing.T) {
	stream, refused := refusing(nil, refusal{typ: fxpFstat, code: fxOpUnsupported})
	srcSrv, src, srcEv := dialServer(t, serverConfig{wrapStream: stream})
	dstSrv, dst, _ := dialServer(t, serverConfig{})
	data := randomBytes(t, 3*safeChunk+5)
	srcSrv.fs.write(t, "/s", data)
	r := dst.CopyFile(context.Background(), src, "/s", "/d")
	if r.Err != nil || r.SHA256 != sum(data) {
		t.Fatalf("CopyFile: %+v", r)
	}
	if refused(fxpFstat, "") == 0 {
		t.Fatal("no FSTAT was sent: the test proves nothing")
	}
	if got := dstSrv.fs.read(t, "/d"); string(got) != string(data) {
		t.Errorf("the copy holds %d bytes, want %d", len(got), len(data))
	}
	var warned bool
	for _, e := range srcEv.all {
		warned = warned || e.Kind == EventWarning && strings.Contains(e.Message, "the source server refused FSTAT")
	}
	if !warned {
		t.Errorf("no warning about FSTAT: %+v", srcEv.all)
	}
}
