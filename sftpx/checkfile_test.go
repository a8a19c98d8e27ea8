package sftpx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pkg/sftp"
)

// checkFileStream plays a server that offers check-file (as ProFTPD's
// mod_sftp does) in front of pkg/sftp's request server, which does not:
// it adds the extension to the VERSION packet and answers check-file-name
// itself, with hash's answer, taking those requests out of the stream
// pkg/sftp reads.
type checkFileStream struct {
	rwc   io.ReadWriteCloser
	out   *packetWriter // to the client, whole packets; inject for ours
	hash  func(path string) ([]byte, bool)
	draft bool // reply as the draft does ("check-file", then the name), not as ProFTPD
	// counter, when set, counts the check-file requests; hash nil
	// answers them with SSH_FX_OP_UNSUPPORTED.
	counter *atomic.Int64

	in []byte // a client packet pkg/sftp has yet to read
}

// serveCheckFile wraps the server's stream so that it offers check-file,
// hashing with hash (nil: the file as the memFS holder has it, honestly).
func serveCheckFile(holder *memFSHolder, hash func(path string) ([]byte, bool), draft bool) func(io.ReadWriteCloser) io.ReadWriteCloser {
	return func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		if hash == nil {
			hash = holder.sha256
		}
		return &checkFileStream{rwc: rwc, out: &packetWriter{w: &addVersionExt{w: rwc}}, hash: hash, draft: draft}
	}
}

// unannouncedCheckFile is serveCheckFile without check-file in the
// VERSION, as ProFTPD 1.3.8 answers an SFTPv3 client; or (unsupported)
// a server that answers check-file-name with SSH_FX_OP_UNSUPPORTED. The
// requests it got are counted in asked.
func unannouncedCheckFile(holder *memFSHolder, unsupported bool, asked *atomic.Int64) func(io.ReadWriteCloser) io.ReadWriteCloser {
	return func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		hash := holder.sha256
		if unsupported {
			hash = nil
		}
		return &checkFileStream{rwc: rwc, out: &packetWriter{w: rwc}, hash: hash, counter: asked}
	}
}

// memFSHolder gives a stream wrapper, made before the server exists, the
// server's files once it does.
type memFSHolder struct {
	mu sync.Mutex
	fs *memFS
}

func (h *memFSHolder) set(fs *memFS) { h.mu.Lock(); h.fs = fs; h.mu.Unlock() }

func (h *memFSHolder) sha256(p string) ([]byte, bool) {
	h.mu.Lock()
	fs := h.fs
	h.mu.Unlock()
	f, err := fs.cl.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return nil, false
	}
	return s.Sum(nil), true
}

func (s *checkFileStream) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s *checkFileStream) Close() error                { return s.rwc.Close() }

func (s *checkFileStream) Read(p []byte) (int, error) {
	for len(s.in) == 0 {
		pkt, err := readPacket(s.rwc)
		if err != nil {
			return 0, err
		}
		if !s.answer(pkt) {
			s.in = pkt
		}
	}
	n := copy(p, s.in)
	s.in = s.in[n:]
	return n, nil
}

// answer answers pkt if it is a check-file-name request.
func (s *checkFileStream) answer(pkt []byte) bool {
	if pkt[4] != fxpExtended || len(pkt) < 9 {
		return false
	}
	id := pkt[5:9]
	name, rest, ok := sshString(pkt[9:])
	if !ok || string(name) != checkFileName {
		return false
	}
	path, rest, ok := sshString(rest)
	alg, _, ok2 := sshString(rest)
	var body []byte
	if s.counter != nil {
		s.counter.Add(1)
	}
	if s.hash == nil {
		body = append(append([]byte{}, id...), 0, 0, 0, 8) // SSH_FX_OP_UNSUPPORTED
		s.out.inject(packet(fxpStatus, appendString(appendString(body, []byte("unknown request")), nil)))
		return true
	}
	sum, found := s.hash(string(path))
	switch {
	case !ok || !ok2 || string(alg) != "sha256":
		body = append(append([]byte{}, id...), 0, 0, 0, 8) // SSH_FX_OP_UNSUPPORTED
		s.out.inject(packet(fxpStatus, appendString(appendString(body, []byte("no such hash")), nil)))
		return true
	case !found:
		body = append(append([]byte{}, id...), 0, 0, 0, 2) // SSH_FX_NO_SUCH_FILE
		s.out.inject(packet(fxpStatus, appendString(appendString(body, []byte("no such file")), nil)))
		return true
	}
	body = append([]byte{}, id...)
	if s.draft {
		body = appendString(body, []byte(checkFileExtension))
	}
	body = appendString(body, []byte("sha256"))
	s.out.inject(packet(fxpExtendedReply, append(body, sum...)))
	return true
}

// addVersionExt adds check-file to the first packet written, the
// server's VERSION.
type addVersionExt struct {
	w    io.WriteCloser
	done bool
}

func (a *addVersionExt) Write(p []byte) (int, error) {
	if a.done {
		return a.w.Write(p)
	}
	a.done = true
	b := appendString(appendString(append([]byte{}, p[4:]...), []byte(checkFileExtension)), []byte("1"))
	if _, err := a.w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (a *addVersionExt) Close() error { return a.w.Close() }

// zeroStore acknowledges every write and stores zeros instead; it serves
// what it stored.
type zeroStore struct{ sftp.OpenFileWriter }

func (z zeroStore) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	w, err := z.OpenFileWriter.Filewrite(r)
	if err != nil {
		return nil, err
	}
	return zeroWriter{w}, nil
}

func (z zeroStore) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	f, err := z.OpenFileWriter.OpenFile(r)
	if err != nil {
		return nil, err
	}
	return zeroFile{f}, nil
}

type zeroWriter struct{ io.WriterAt }

func (z zeroWriter) WriteAt(p []byte, off int64) (int, error) {
	return z.WriterAt.WriteAt(make([]byte, len(p)), off)
}

type zeroFile struct{ sftp.WriterAtReaderAt }

func (z zeroFile) WriteAt(p []byte, off int64) (int, error) {
	return z.WriterAtReaderAt.WriteAt(make([]byte, len(p)), off)
}

// flipReads serves every file with its byte at flip inverted, on every
// read (always), or on the first read of each open file only.
type flipReads struct {
	sftp.FileReader
	at     int64
	always bool
}

func (f flipReads) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	ra, err := f.FileReader.Fileread(r)
	if err != nil {
		return nil, err
	}
	return &flipReaderAt{ReaderAt: ra, at: f.at, always: f.always}, nil
}

type flipReaderAt struct {
	io.ReaderAt
	at     int64
	always bool
	mu     sync.Mutex
	done   bool
}

func (f *flipReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.ReaderAt.ReadAt(p, off)
	if off <= f.at && f.at < off+int64(n) {
		f.mu.Lock()
		if f.always || !f.done {
			p[f.at-off] ^= 0x01
			f.done = true
		}
		f.mu.Unlock()
	}
	return n, err
}

// The lies a server can tell about an upload, and which proof catches
// each: the size catches a short file; the server's hash (check-file)
// catches bytes it stores wrong, unless it lies about the hash too; the
// read-back (--verify) catches them all. Nothing is renamed into place
// when a lie is caught.
func TestPutLyingServers(t *testing.T) {
	data := randomBytes(t, 300007)
	// hashOfSent: a server that stores zeros and says it holds what was
	// sent, the lie only a read-back sees.
	hashOfSent := func(string) ([]byte, bool) { h := sha256.Sum256(data); return h[:], true }
	tests := []struct {
		name      string
		store     func(h sftp.Handlers) sftp.Handlers
		checkFile bool
		hash      func(string) ([]byte, bool)
		verify    bool
		proof     string // "" when the lie is caught
		server    bool   // caught by the server's hash
	}{
		{name: "honest, no check-file", proof: ProofSize},
		{name: "honest, check-file", checkFile: true, proof: ProofServerHash},
		{name: "honest, verify", verify: true, proof: ProofReadBack},
		{name: "honest, check-file, verify", checkFile: true, verify: true, proof: ProofReadBack},
		{name: "zeros, no check-file: size cannot tell", store: storeZeros, proof: ProofSize},
		{name: "zeros, no check-file, verify", store: storeZeros, verify: true},
		{name: "zeros, honest check-file", store: storeZeros, checkFile: true, server: true},
		{name: "zeros, honest check-file, verify", store: storeZeros, checkFile: true, verify: true},
		{name: "zeros, lying check-file: only a read-back tells", store: storeZeros, checkFile: true, hash: hashOfSent, proof: ProofServerHash},
		{name: "zeros, lying check-file, verify", store: storeZeros, checkFile: true, hash: hashOfSent, verify: true},
		{name: "short", store: storeShort},
		{name: "short, check-file", store: storeShort, checkFile: true},
		{name: "short, verify", store: storeShort, verify: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			holder := &memFSHolder{}
			cfg := serverConfig{}
			if tc.store != nil {
				cfg.wrap = func(_ net.Conn, h sftp.Handlers) sftp.Handlers { return tc.store(h) }
			}
			if tc.checkFile {
				cfg.wrapStream = serveCheckFile(holder, tc.hash, false)
			}
			s, c, _ := dialServer(t, cfg)
			holder.set(s.fs)
			s.fs.write(t, "/dst", []byte("precious"))
			local := filepath.Join(t.TempDir(), "src")
			writeLocal(t, local, data)
			r := c.PutFile(context.Background(), local, "/dst", TransferOptions{Verify: tc.verify})
			if tc.proof != "" {
				if r.Err != nil || r.Proof != tc.proof || r.SHA256 != sum(data) {
					t.Fatalf("PutFile = %+v, want success with proof %q", r, tc.proof)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(r.Err, &ve) {
				t.Fatalf("PutFile = %+v, want a VerifyError", r)
			}
			if ve.Server != tc.server {
				t.Errorf("PutFile: %v: caught by the server's hash %v, want %v", r.Err, ve.Server, tc.server)
			}
			if r.Proof != "" {
				t.Errorf("a failed put has proof %q", r.Proof)
			}
			s.fs.untouched(t, "/dst", "precious")
		})
	}
}

func storeZeros(h sftp.Handlers) sftp.Handlers {
	h.FilePut = zeroStore{h.FilePut.(sftp.OpenFileWriter)}
	return h
}

func storeShort(h sftp.Handlers) sftp.Handlers {
	h.FilePut = truncatingWriter{h.FilePut, 100000}
	return h
}

// The lies a server can tell about a download: a size it does not serve
// (always caught), bytes other than those it hashes (caught by its
// hash), and bytes that change between reads, which only a second read
// (--verify on a server without check-file) sees. Nothing is written
// locally when a lie is caught.
func TestGetLyingServers(t *testing.T) {
	data := randomBytes(t, 300007)
	tests := []struct {
		name      string
		serve     func(h sftp.Handlers) sftp.Handlers
		checkFile bool
		draft     bool
		verify    bool
		proof     string
		server    bool
	}{
		{name: "honest", proof: ProofSize},
		{name: "honest, check-file", checkFile: true, proof: ProofServerHash},
		{name: "honest, check-file as the draft answers", checkFile: true, draft: true, proof: ProofServerHash},
		{name: "honest, verify", verify: true, proof: ProofReadBack},
		{name: "honest, check-file, verify", checkFile: true, verify: true, proof: ProofServerHash},
		{name: "serves other bytes than it hashes", serve: flipAlways, checkFile: true, server: true},
		{name: "serves other bytes than it hashes, verify", serve: flipAlways, checkFile: true, verify: true, server: true},
		{name: "first read differs: size cannot tell", serve: flipOnce, proof: ProofSize},
		{name: "first read differs, verify", serve: flipOnce, verify: true},
		{name: "short", serve: serveShort},
		{name: "short, check-file", serve: serveShort, checkFile: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			holder := &memFSHolder{}
			cfg := serverConfig{}
			if tc.serve != nil {
				cfg.wrap = func(_ net.Conn, h sftp.Handlers) sftp.Handlers { return tc.serve(h) }
			}
			if tc.checkFile {
				cfg.wrapStream = serveCheckFile(holder, nil, tc.draft)
			}
			s, c, _ := dialServer(t, cfg)
			holder.set(s.fs)
			s.fs.write(t, "/src", data)
			dir := t.TempDir()
			local := filepath.Join(dir, "dst")
			writeLocal(t, local, []byte("precious"))
			r := c.GetFile(context.Background(), "/src", local, TransferOptions{Verify: tc.verify})
			got, _ := os.ReadFile(local)
			if tc.proof != "" {
				if r.Err != nil || r.Proof != tc.proof {
					t.Fatalf("GetFile = %+v, want success with proof %q", r, tc.proof)
				}
				if tc.serve == nil && !bytes.Equal(got, data) {
					t.Errorf("the download holds other bytes")
				}
				return
			}
			var ve *VerifyError
			if !errors.As(r.Err, &ve) {
				t.Fatalf("GetFile = %+v, want a VerifyError", r)
			}
			if ve.Server != tc.server {
				t.Errorf("GetFile: %v: caught by the server's hash %v, want %v", r.Err, ve.Server, tc.server)
			}
			if string(got) != "precious" {
				t.Errorf("the destination changed")
			}
			if names := dirNames(t, dir); len(names) != 1 {
				t.Errorf("local directory %q: a partial file remains", names)
			}
		})
	}
}

func flipAlways(h sftp.Handlers) sftp.Handlers {
	h.FileGet = flipReads{FileReader: h.FileGet, at: 123457, always: true}
	return h
}

func flipOnce(h sftp.Handlers) sftp.Handlers {
	h.FileGet = flipReads{FileReader: h.FileGet, at: 123457}
	return h
}

func serveShort(h sftp.Handlers) sftp.Handlers {
	h.FileGet = shortReader{h.FileGet, 70000}
	return h
}

// cp between two servers that offer check-file: a destination that
// stores zeros is caught by its own hash, a source that serves other
// bytes than it hashes by the source's.
func TestCopyLyingServers(t *testing.T) {
	data := randomBytes(t, 300007)
	tests := []struct {
		name      string
		src, dst  func(h sftp.Handlers) sftp.Handlers
		proof     string
		what      string // the VerifyError's What
		srcChecks bool
	}{
		{name: "honest", proof: ProofServerHash, srcChecks: true},
		{name: "honest, source without check-file", proof: ProofServerHash},
		{name: "destination stores zeros", dst: storeZeros, what: "uploaded file", srcChecks: true},
		{name: "source serves other bytes than it hashes", src: flipAlways, what: "source file", srcChecks: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srcHolder, dstHolder := &memFSHolder{}, &memFSHolder{}
			srcCfg := serverConfig{}
			if tc.srcChecks {
				srcCfg.wrapStream = serveCheckFile(srcHolder, nil, false)
			}
			dstCfg := serverConfig{wrapStream: serveCheckFile(dstHolder, nil, true)}
			if tc.src != nil {
				srcCfg.wrap = func(_ net.Conn, h sftp.Handlers) sftp.Handlers { return tc.src(h) }
			}
			if tc.dst != nil {
				dstCfg.wrap = func(_ net.Conn, h sftp.Handlers) sftp.Handlers { return tc.dst(h) }
			}
			srcSrv, src, _ := dialServer(t, srcCfg)
			dstSrv, dst, _ := dialServer(t, dstCfg)
			srcHolder.set(srcSrv.fs)
			dstHolder.set(dstSrv.fs)
			srcSrv.fs.write(t, "/a", data)
			dstSrv.fs.write(t, "/b", []byte("precious"))
			r := dst.CopyFile(context.Background(), src, "/a", "/b")
			if tc.proof != "" {
				if r.Err != nil || r.Proof != tc.proof || r.SHA256 != sum(data) {
					t.Fatalf("CopyFile = %+v, want proof %q", r, tc.proof)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(r.Err, &ve) || !ve.Server || ve.What != tc.what {
				t.Fatalf("CopyFile = %+v, want a VerifyError of the %s by its server's hash", r, tc.what)
			}
			dstSrv.fs.untouched(t, "/b", "precious")
		})
	}
}

// A server that offers check-file and then refuses to hash a file leaves
// the file proved by its size, and says so once.
func TestCheckFileRefused(t *testing.T) {
	refuse := func(string) ([]byte, bool) { return nil, false }
	s, c, ev := dialServer(t, serverConfig{wrapStream: serveCheckFile(nil, refuse, false)})
	data := randomBytes(t, 1000)
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, data)
	for _, dst := range []string{"/a", "/b"} {
		if r := c.PutFile(context.Background(), local, dst); r.Err != nil || r.Proof != ProofSize {
			t.Fatalf("PutFile = %+v, want proof %q", r, ProofSize)
		}
	}
	if !bytes.Equal(s.fs.read(t, "/b"), data) {
		t.Fatal("the upload is not on the server")
	}
	warnings := 0
	for _, k := range ev.kinds() {
		if k == EventWarning {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d warnings, want one", warnings)
	}
}

func TestParseCheckFile(t *testing.T) {
	h := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name string
		body []byte
		ok   bool
	}{
		{"proftpd", append(appendString(nil, []byte("sha256")), h...), true},
		{"draft", append(appendString(appendString(nil, []byte("check-file")), []byte("sha256")), h...), true},
		{"md5", append(appendString(nil, []byte("md5")), h[:16]...), false},
		{"short hash", append(appendString(nil, []byte("sha256")), h[:31]...), false},
		{"two blocks", append(appendString(nil, []byte("sha256")), append(h, h...)...), false},
		{"truncated name", []byte{0, 0, 0, 9, 's'}, false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		got, err := parseCheckFile(tc.body)
		if (err == nil) != tc.ok || (tc.ok && !bytes.Equal(got, h)) {
			t.Errorf("%s: parseCheckFile = %x, %v; want ok %v", tc.name, got, err, tc.ok)
		}
	}
}

// A server whose SSH version says ProFTPD's mod_sftp is asked for
// check-file although its VERSION did not name it, until it says it has
// none; any other server is not asked what it did not offer.
func TestCheckFileUnannounced(t *testing.T) {
	const proftpd = "SSH-2.0-mod_sftp"
	for _, tc := range []struct {
		name        string
		version     string
		unsupported bool
		proof       string
		asked       int64 // of three puts
	}{
		{"ProFTPD", proftpd, false, ProofServerHash, 3},
		{"ProFTPD without check-file", proftpd, true, ProofSize, 1},
		{"another server", "SSH-2.0-OpenSSH_9.2", false, ProofSize, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			holder := &memFSHolder{}
			var asked atomic.Int64
			s, c, ev := dialServer(t, serverConfig{version: tc.version, wrapStream: unannouncedCheckFile(holder, tc.unsupported, &asked)})
			holder.set(s.fs)
			local := filepath.Join(t.TempDir(), "src")
			writeLocal(t, local, randomBytes(t, 5000))
			for _, dst := range []string{"/a", "/b", "/c"} {
				if r := c.PutFile(context.Background(), local, dst); r.Err != nil || r.Proof != tc.proof {
					t.Fatalf("PutFile = %+v, want proof %s", r, tc.proof)
				}
			}
			if n := asked.Load(); n != tc.asked {
				t.Errorf("asked %d times, want %d", n, tc.asked)
			}
			if ev.has(EventWarning) {
				t.Errorf("a warning: %v", ev.all)
			}
		})
	}
}
