package sftpx

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeLocal(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// dirNames lists dir, so a test can tell that no temporary file remains.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func collect(fn func(each func(Result))) []Result {
	var rs []Result
	fn(func(r Result) { rs = append(rs, r) })
	return rs
}

func TestPutGetRoundTrip(t *testing.T) {
	s, c, ev := dialServer(t, serverConfig{})
	ctx := context.Background()
	dir := t.TempDir()
	// Larger than one 32 KiB packet times the 64 requests in flight, so
	// that the concurrent paths of pkg/sftp are the ones exercised.
	data := randomBytes(t, 5<<20+123)
	writeLocal(t, filepath.Join(dir, "up.bin"), data)

	r := c.PutFile(ctx, filepath.Join(dir, "up.bin"), "/up.bin", TransferOptions{Verify: true})
	if r.Err != nil {
		t.Fatalf("PutFile: %v", r.Err)
	}
	if r.Bytes != int64(len(data)) || r.SHA256 != sum(data) || r.NotAtomic || r.Proof != ProofReadBack {
		t.Errorf("PutFile = %+v", r)
	}
	if got := s.fs.read(t, "/up.bin"); !bytes.Equal(got, data) {
		t.Fatalf("the server holds %d bytes, want the %d put", len(got), len(data))
	}
	if names := s.fs.names(t, "/"); !slices.Equal(names, []string{"up.bin"}) {
		t.Errorf("server directory %q: a temporary file remains", names)
	}

	r = c.GetFile(ctx, "/up.bin", filepath.Join(dir, "down.bin"))
	if r.Err != nil || r.Proof != ProofSize {
		t.Fatalf("GetFile: %+v", r)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "down.bin"))
	if !bytes.Equal(got, data) || r.SHA256 != sum(data) || r.Bytes != int64(len(data)) {
		t.Errorf("GetFile = %d bytes, %s; want %d, %s", len(got), r.SHA256, len(data), sum(data))
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"down.bin", "up.bin"}) {
		t.Errorf("local directory %q: a temporary file remains", names)
	}

	// Progress ends at the total, and the upload was read back while it
	// went (the in-memory server serves reads on a file open for writing).
	var lastPut, lastVerified, lastGet int64
	for _, e := range ev.all {
		if e.Kind != EventProgress {
			continue
		}
		switch {
		case e.Op == "put" && e.Verify:
			t.Errorf("a read-back after the upload, where every chunk was read back as it went: %+v", e)
		case e.Op == "put":
			lastPut, lastVerified = e.Bytes, e.Verified
		case e.Op == "get":
			lastGet = e.Bytes
		}
	}
	if n := int64(len(data)); lastPut != n || lastVerified != n || lastGet != n {
		t.Errorf("last progress put %d, verified %d, get %d; want %d each", lastPut, lastVerified, lastGet, n)
	}
}

// The in-memory server ignores modes; TestSSHDRoundTrip checks them.
func TestPutReplaces(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	s.fs.write(t, "/f", []byte("old"))
	local := filepath.Join(t.TempDir(), "f")
	writeLocal(t, local, []byte("new content"))
	if r := c.PutFile(context.Background(), local, "/f"); r.Err != nil || r.NotAtomic {
		t.Fatalf("PutFile: %+v", r)
	}
	if got := s.fs.read(t, "/f"); string(got) != "new content" {
		t.Errorf("content %q", got)
	}
}

// pkg/sftp#658: a transfer can come back short with a nil error. Here the
// server acknowledges every write but keeps only the first bytes: the
// read-back must catch it, and nothing may be renamed into place.
func TestPutDetectsSilentTruncation(t *testing.T) {
	const keep = 100000
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FilePut = truncatingWriter{h.FilePut, keep}
		return h
	}})
	s.fs.write(t, "/dst", []byte("precious"))
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, randomBytes(t, 300000))
	r := c.PutFile(context.Background(), local, "/dst")
	var ve *VerifyError
	if !errors.As(r.Err, &ve) || ve.GotBytes != keep {
		t.Fatalf("PutFile: %v, want a VerifyError with %d bytes", r.Err, keep)
	}
	s.fs.untouched(t, "/dst", "precious")
}

type truncatingWriter struct {
	sftp.FileWriter
	keep int64
}

func (w truncatingWriter) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	wa, err := w.FileWriter.Filewrite(r)
	if err != nil {
		return nil, err
	}
	return truncWriterAt{wa, w.keep}, nil
}

type truncWriterAt struct {
	io.WriterAt
	keep int64
}

func (w truncWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off >= w.keep {
		return len(p), nil
	}
	if off+int64(len(p)) > w.keep {
		n, err := w.WriterAt.WriteAt(p[:w.keep-off], off)
		if err != nil {
			return n, err
		}
		return len(p), nil
	}
	return w.WriterAt.WriteAt(p, off)
}

// The server's stat promises more bytes than it delivers.
func TestGetDetectsShortFile(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileGet = shortReader{h.FileGet, 70000}
		return h
	}})
	s.fs.write(t, "/src", randomBytes(t, 200000))
	dir := t.TempDir()
	local := filepath.Join(dir, "dst")
	writeLocal(t, local, []byte("precious"))
	r := c.GetFile(context.Background(), "/src", local)
	var ve *VerifyError
	if !errors.As(r.Err, &ve) || ve.WantBytes != 200000 || ve.GotBytes != 70000 {
		t.Fatalf("GetFile: %v, want a VerifyError 70000 of 200000", r.Err)
	}
	if b, _ := os.ReadFile(local); string(b) != "precious" {
		t.Errorf("the destination changed")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"dst"}) {
		t.Errorf("local directory %q: a partial file remains", names)
	}
}

type shortReader struct {
	sftp.FileReader
	n int64
}

func (s shortReader) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	ra, err := s.FileReader.Fileread(r)
	if err != nil {
		return nil, err
	}
	return shortReaderAt{ra, s.n}, nil
}

type shortReaderAt struct {
	io.ReaderAt
	n int64
}

func (s shortReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.n {
		return 0, io.EOF
	}
	if off+int64(len(p)) > s.n {
		n, _ := s.ReaderAt.ReadAt(p[:s.n-off], off)
		return n, io.EOF
	}
	return s.ReaderAt.ReadAt(p, off)
}

// The server cuts the connection in the middle of a download: the
// existing destination stays as it was, and no partial file remains.
func TestGetConnectionCutMidway(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{wrap: func(conn net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileGet = cuttingReader{h.FileGet, conn, 300000}
		return h
	}})
	s.fs.write(t, "/big", randomBytes(t, 1<<20))
	dir := t.TempDir()
	local := filepath.Join(dir, "big")
	writeLocal(t, local, []byte("precious"))
	r := c.GetFile(context.Background(), "/big", local)
	if r.Err == nil {
		t.Fatal("GetFile succeeded over a cut connection")
	}
	if b, _ := os.ReadFile(local); string(b) != "precious" {
		t.Errorf("the destination changed to %d bytes", len(b))
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"big"}) {
		t.Errorf("local directory %q: a partial file remains", names)
	}
	// A new destination is not created at all.
	r = c.GetFile(context.Background(), "/big", filepath.Join(dir, "new"))
	if r.Err == nil {
		t.Fatal("GetFile on a dead connection succeeded")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"big"}) {
		t.Errorf("local directory %q after a failed get", names)
	}
}

// cuttingReader closes the server's TCP connection once a read reaches
// offset cut: the client sees the connection die mid-transfer.
type cuttingReader struct {
	sftp.FileReader
	conn net.Conn
	cut  int64
}

func (c cuttingReader) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	ra, err := c.FileReader.Fileread(r)
	if err != nil {
		return nil, err
	}
	return cuttingReaderAt{ra, c.conn, c.cut}, nil
}

type cuttingReaderAt struct {
	io.ReaderAt
	conn net.Conn
	cut  int64
}

func (c cuttingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.cut {
		c.conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.ReaderAt.ReadAt(p, off)
}

// The same for an upload: the remote destination is untouched (the
// temporary file may remain: the connection that would remove it is gone).
func TestPutConnectionCutMidway(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{wrap: func(conn net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FilePut = cuttingWriter{h.FilePut, conn, 300000}
		return h
	}})
	s.fs.write(t, "/dst", []byte("precious"))
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, randomBytes(t, 1<<20))
	r := c.PutFile(context.Background(), local, "/dst")
	if r.Err == nil {
		t.Fatal("PutFile succeeded over a cut connection")
	}
	if got := s.fs.read(t, "/dst"); string(got) != "precious" {
		t.Errorf("the destination changed to %d bytes", len(got))
	}
	for _, n := range s.fs.names(t, "/") {
		if n != "dst" && !strings.HasPrefix(n, ".dst.sshpin-tmp-") {
			t.Errorf("unexpected file %q on the server", n)
		}
	}
}

type cuttingWriter struct {
	sftp.FileWriter
	conn net.Conn
	cut  int64
}

func (c cuttingWriter) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	wa, err := c.FileWriter.Filewrite(r)
	if err != nil {
		return nil, err
	}
	return cuttingWriterAt{wa, c.conn, c.cut}, nil
}

type cuttingWriterAt struct {
	io.WriterAt
	conn net.Conn
	cut  int64
}

func (c cuttingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > c.cut {
		c.conn.Close()
		return 0, io.ErrUnexpectedEOF
	}
	return c.WriterAt.WriteAt(p, off)
}

// A server without posix-rename: a new file is renamed into place as
// usual; replacing one takes a remove first, and says so.
func TestPutWithoutPosixRename(t *testing.T) {
	s, c, ev := dialServer(t, serverConfig{wrapStream: hideExtensions(posixRename)})
	if _, ok := c.sftp.HasExtension(posixRename); ok {
		t.Fatal("the filter did not hide posix-rename")
	}
	local := filepath.Join(t.TempDir(), "src")
	writeLocal(t, local, []byte("v1"))
	if r := c.PutFile(context.Background(), local, "/f"); r.Err != nil || r.NotAtomic {
		t.Fatalf("PutFile to a new name: %+v", r)
	}
	writeLocal(t, local, []byte("v2"))
	r := c.PutFile(context.Background(), local, "/f")
	if r.Err != nil || !r.NotAtomic {
		t.Fatalf("PutFile over an existing file: %+v, want NotAtomic", r)
	}
	if !ev.has(EventNotAtomic) {
		t.Errorf("no EventNotAtomic")
	}
	if got := s.fs.read(t, "/f"); string(got) != "v2" {
		t.Errorf("content %q", got)
	}
}

func TestGetMissing(t *testing.T) {
	_, c, _ := dialServer(t, serverConfig{})
	dir := t.TempDir()
	rs := collect(func(each func(Result)) {
		c.Get(context.Background(), "/no/such/file", dir, TransferOptions{}, each)
	})
	if len(rs) != 1 || !errors.Is(rs[0].Err, fs.ErrNotExist) {
		t.Fatalf("Get = %+v, want one not-found result", rs)
	}
	if want := `sftpx: get /no/such/file -> ` + dir + `: not found`; rs[0].Err.Error() != want {
		t.Errorf("error %q, want %q", rs[0].Err, want)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("local files %q after a failed get", names)
	}
}

// Per-file errors: the files the server refuses are named, the rest are
// transferred.
func TestPermissionDeniedPerFile(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		return denyPaths(h, "/tree/secret", "/up/b")
	}})
	ctx := context.Background()
	s.fs.write(t, "/tree/a", []byte("a"))
	s.fs.write(t, "/tree/secret", []byte("s"))
	s.fs.write(t, "/tree/sub/c", []byte("c"))
	dir := t.TempDir()
	rs := collect(func(each func(Result)) { c.Get(ctx, "/tree", dir, TransferOptions{Recursive: true}, each) })
	byRemote := map[string]error{}
	for _, r := range rs {
		byRemote[r.Remote] = r.Err
	}
	if len(rs) != 3 || byRemote["/tree/a"] != nil || byRemote["/tree/sub/c"] != nil || !errors.Is(byRemote["/tree/secret"], fs.ErrPermission) {
		t.Fatalf("Get -r: %v", byRemote)
	}
	if !strings.Contains(byRemote["/tree/secret"].Error(), "/tree/secret") || !strings.HasSuffix(byRemote["/tree/secret"].Error(), ": permission denied") {
		t.Errorf("error %q does not name the file and the reason", byRemote["/tree/secret"])
	}
	if _, err := os.Stat(filepath.Join(dir, "tree", "secret")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a local file exists for the refused one")
	}
	for _, p := range []string{"tree/a", "tree/sub/c"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}

	up := filepath.Join(t.TempDir(), "up")
	for _, n := range []string{"a", "b", "c"} {
		writeLocal(t, filepath.Join(up, n), []byte(n))
	}
	rs = collect(func(each func(Result)) { c.Put(ctx, up, "/", TransferOptions{Recursive: true}, each) })
	var failed []string
	for _, r := range rs {
		if r.Err != nil {
			failed = append(failed, r.Remote)
			if !errors.Is(r.Err, fs.ErrPermission) {
				t.Errorf("%s: %v, want permission denied", r.Remote, r.Err)
			}
		}
	}
	if len(rs) != 3 || !slices.Equal(failed, []string{"/up/b"}) {
		t.Errorf("Put -r: %d results, failed %q", len(rs), failed)
	}
}

// denyPaths refuses every request naming one of paths, as a server does
// for a file its user may not touch. For uploads, the temporary file
// beside a denied destination is refused, as a read-only directory would.
func denyPaths(h sftp.Handlers, paths ...string) sftp.Handlers {
	deny := func(p string) bool {
		for _, d := range paths {
			if p == d || strings.HasPrefix(p, "/up/.b.sshpin-tmp-") && d == "/up/b" {
				return true
			}
		}
		return false
	}
	return sftp.Handlers{
		FileGet:  denyReader{h.FileGet, deny},
		FilePut:  denyWriter{h.FilePut, deny},
		FileCmd:  h.FileCmd,
		FileList: h.FileList,
	}
}

type denyReader struct {
	sftp.FileReader
	deny func(string) bool
}

func (d denyReader) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if d.deny(r.Filepath) {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	return d.FileReader.Fileread(r)
}

type denyWriter struct {
	sftp.FileWriter
	deny func(string) bool
}

func (d denyWriter) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	if d.deny(r.Filepath) {
		return nil, sftp.ErrSSHFxPermissionDenied
	}
	return d.FileWriter.Filewrite(r)
}

func TestRecursiveRoundTrip(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{
		"a":          randomBytes(t, 10),
		"empty":      nil,
		"d/b":        randomBytes(t, 100000),
		"d/e/f/deep": randomBytes(t, 3),
	}
	for p, b := range files {
		writeLocal(t, filepath.Join(src, p), b)
	}
	os.MkdirAll(filepath.Join(src, "emptydir"), 0o755)
	if err := c.Mkdir(ctx, "/dst", false); err != nil {
		t.Fatal(err)
	}
	rs := collect(func(each func(Result)) { c.Put(ctx, src, "/dst", TransferOptions{Recursive: true}, each) })
	if len(rs) != len(files) {
		t.Fatalf("Put -r: %d results, want %d", len(rs), len(files))
	}
	for _, r := range rs {
		if r.Err != nil {
			t.Errorf("put: %v", r.Err)
		}
	}
	if !s.fs.exists("/dst/src/emptydir") {
		t.Errorf("the empty directory was not made")
	}
	back := t.TempDir()
	rs = collect(func(each func(Result)) { c.Get(ctx, "/dst/src", back, TransferOptions{Recursive: true}, each) })
	for _, r := range rs {
		if r.Err != nil {
			t.Errorf("get: %v", r.Err)
		}
	}
	for p, b := range files {
		got, err := os.ReadFile(filepath.Join(back, "src", p))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", p, len(got), err, len(b))
		}
	}
	// A directory without -r is refused, naming it.
	rs = collect(func(each func(Result)) { c.Get(ctx, "/dst", back, TransferOptions{}, each) })
	if len(rs) != 1 || !errors.Is(rs[0].Err, ErrIsDir) {
		t.Errorf("Get of a directory without -r: %+v", rs)
	}
}

// A hostile server names a file "../escape" in a listing: the download
// must not write outside the destination, and the name is reported as
// sent, skipped (pkg/sftp alone would cut it to "escape").
func TestGetRefusesUnsafeNames(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileList = evilLister{h.FileList}
		return h
	}})
	s.fs.write(t, "/d/ok", []byte("ok"))
	s.fs.write(t, "/escape", []byte("evil"))
	base := t.TempDir()
	dst := filepath.Join(base, "inner")
	os.Mkdir(dst, 0o755)
	rs := collect(func(each func(Result)) {
		c.Get(context.Background(), "/d", dst, TransferOptions{Recursive: true}, each)
	})
	// The skip of the hostile name may come before or after the file.
	slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(b.Remote, a.Remote) })
	if len(rs) != 2 || rs[0].Err != nil || !rs[1].Skipped || rs[1].Err != nil || rs[1].Remote != "/d/../escape" {
		t.Errorf("results %+v, want d/ok and /d/../escape skipped", rs)
	}
	if _, err := os.Stat(filepath.Join(base, "escape")); err == nil {
		t.Fatal("a file was written outside the destination")
	}
}

type evilLister struct{ sftp.FileLister }

func (e evilLister) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	la, err := e.FileLister.Filelist(r)
	if err != nil || r.Method != "List" || r.Filepath != "/d" {
		return la, err
	}
	fis := make([]fs.FileInfo, 8)
	n, _ := la.ListAt(fis, 0)
	fis = append(fis[:n], renamed{fis[0], "../escape"})
	return listerAt(fis), nil
}

type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

type listerAt []fs.FileInfo

func (l listerAt) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// stallingServer is an in-process server whose file reads never answer
// while the test runs.
func stallingServer(t *testing.T) (s *testServer, keyPath string) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	keyPath, pub := userKey(t, "")
	s = startServer(t, serverConfig{userKeys: []ssh.PublicKey{pub}, wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileGet = stallingReader{h.FileGet, release}
		return h
	}})
	return s, keyPath
}

// A server that stops answering: the operation fails with ErrTimeout
// instead of hanging, and the connection is dead afterwards.
func TestStallTimesOut(t *testing.T) {
	s, keyPath := stallingServer(t)
	s.fs.write(t, "/f", []byte("data"))
	f, _ := pinFile(t, s.Host, s.Port, s.cfg.hostKeys[0].PublicKey())
	o := s.options(keyPath, f)
	o.Timeout = 200 * time.Millisecond
	c, err := Dial(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	r := c.GetFile(context.Background(), "/f", filepath.Join(dir, "f"))
	if !errors.Is(r.Err, ErrTimeout) {
		t.Fatalf("GetFile: %v, want ErrTimeout", r.Err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("local files %q after a stalled get", names)
	}
	if _, err := c.List(context.Background(), "/"); !errors.Is(err, ErrTimeout) {
		t.Errorf("List after the stall: %v, want the connection dead with ErrTimeout", err)
	}
}

type stallingReader struct {
	sftp.FileReader
	release chan struct{}
}

func (s stallingReader) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	<-s.release
	return nil, os.ErrPermission
}

func TestCancelStopsTransfer(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	started := make(chan struct{}, 1)
	s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileGet = signallingStall{stallingReader{h.FileGet, release}, started}
		return h
	}})
	s.fs.write(t, "/f", []byte("data"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	r := c.GetFile(ctx, "/f", filepath.Join(t.TempDir(), "f"))
	if !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("GetFile: %v, want context.Canceled", r.Err)
	}
}

type signallingStall struct {
	stallingReader
	started chan struct{}
}

func (s signallingStall) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	s.started <- struct{}{}
	return s.stallingReader.Fileread(r)
}

func TestListRemoveMkdir(t *testing.T) {
	s, c, _ := dialServer(t, serverConfig{})
	ctx := context.Background()
	if err := c.Mkdir(ctx, "/a/b/c", true); err != nil {
		t.Fatalf("Mkdir -p: %v", err)
	}
	if err := c.Mkdir(ctx, "/a", false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Mkdir of an existing directory: %v", err)
	}
	s.fs.write(t, "/a/f2", []byte("22"))
	s.fs.write(t, "/a/f1", []byte("1"))
	es, err := c.List(ctx, "/a")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	if !sort.StringsAreSorted(names) || !slices.Equal(names, []string{"b", "f1", "f2"}) {
		t.Errorf("List = %q", names)
	}
	if es, err := c.List(ctx, "/a/f2"); err != nil || len(es) != 1 || es[0].Size != 2 {
		t.Errorf("List of a file = %+v, %v", es, err)
	}
	if _, err := c.List(ctx, "/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing path: %v", err)
	}
	if err := c.Remove(ctx, "/a", false); !errors.Is(err, ErrIsDir) {
		t.Errorf("Remove of a directory without -r: %v", err)
	}
	if err := c.Remove(ctx, "/a/f1", false); err != nil {
		t.Errorf("Remove: %v", err)
	}
	if err := c.Remove(ctx, "/a", true); err != nil {
		t.Errorf("Remove -r: %v", err)
	}
	if s.fs.exists("/a") {
		t.Errorf("/a still exists")
	}
	if err := c.Remove(ctx, "/a", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Remove of a missing file: %v", err)
	}
}
