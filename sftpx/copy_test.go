package sftpx

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// Server to server: two in-process servers, each pinned; the bytes go
// through this process only.
func TestCopyFileBetweenServers(t *testing.T) {
	srcSrv, src, _ := dialServer(t, serverConfig{})
	dstSrv, dst, ev := dialServer(t, serverConfig{})
	data := randomBytes(t, 3<<19+11)
	srcSrv.fs.write(t, "/backups/a.tar.gz", data)
	dstSrv.fs.write(t, "/www/site.tar.gz", []byte("old"))

	r := dst.CopyFile(context.Background(), src, "/backups/a.tar.gz", "/www/site.tar.gz", TransferOptions{Verify: true})
	if r.Err != nil || r.SHA256 != sum(data) || r.Bytes != int64(len(data)) || r.Proof != ProofReadBack {
		t.Fatalf("CopyFile: %+v", r)
	}
	if got := dstSrv.fs.read(t, "/www/site.tar.gz"); !bytes.Equal(got, data) {
		t.Fatalf("the destination holds %d bytes, want %d", len(got), len(data))
	}
	if names := dstSrv.fs.names(t, "/www"); !slices.Equal(names, []string{"site.tar.gz"}) {
		t.Errorf("destination directory %q: a temporary file remains", names)
	}
	var verified int64
	for _, e := range ev.all {
		if e.Kind == EventProgress {
			verified = e.Verified
		}
	}
	if verified != int64(len(data)) {
		t.Errorf("verified %d bytes, want %d", verified, len(data))
	}

	// A missing source: named, and the destination untouched.
	r = dst.CopyFile(context.Background(), src, "/backups/nope", "/www/site.tar.gz")
	if !errors.Is(r.Err, fs.ErrNotExist) {
		t.Errorf("CopyFile of a missing file: %v", r.Err)
	}
	if got := dstSrv.fs.read(t, "/www/site.tar.gz"); !bytes.Equal(got, data) {
		t.Errorf("the destination changed")
	}
	if r := dst.CopyFile(context.Background(), dst, "/www/site.tar.gz", "/x"); r.Err == nil {
		t.Errorf("CopyFile from itself succeeded")
	}
}

// The source connection dies mid-copy: the destination is untouched and
// holds no temporary file.
func TestCopyFileSourceCut(t *testing.T) {
	srcSrv, src, _ := dialServer(t, serverConfig{wrap: func(conn net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileGet = cuttingReader{h.FileGet, conn, 1 << 19}
		return h
	}})
	dstSrv, dst, _ := dialServer(t, serverConfig{})
	srcSrv.fs.write(t, "/big", randomBytes(t, 2<<20))
	dstSrv.fs.write(t, "/dst", []byte("precious"))
	r := dst.CopyFile(context.Background(), src, "/big", "/dst")
	if r.Err == nil {
		t.Fatalf("CopyFile succeeded through a cut source")
	}
	dstSrv.fs.untouched(t, "/dst", "precious")
}

func TestGlobNewest(t *testing.T) {
	p, key, f := sshdPeer(t, "", testpeer.SSHDConfig{KeyTypes: []string{"ed25519"}})
	c, err := Dial(context.Background(), sshdOptions(t, p, "", key, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dir := t.TempDir()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, n := range []string{"b-2.tar.gz", "a-1.tar.gz", "c-3.tar.gz", ".hidden.tar.gz", "notes.txt"} {
		writeLocal(t, filepath.Join(dir, n), []byte(n))
		os.Chtimes(filepath.Join(dir, n), base, base.Add(time.Duration(i)*time.Hour))
	}
	os.Mkdir(filepath.Join(dir, "d.tar.gz"), 0o755)
	os.Chtimes(filepath.Join(dir, "d.tar.gz"), base, base.Add(9*time.Hour))
	ms, err := c.Glob(context.Background(), dir+"/*.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"a-1.tar.gz", "b-2.tar.gz", "c-3.tar.gz", "d.tar.gz"}) {
		t.Errorf("Glob = %q", names)
	}
	if n, ok := Newest(ms); !ok || n.Name != "c-3.tar.gz" || n.Path != dir+"/c-3.tar.gz" {
		t.Errorf("Newest = %+v, %v; want c-3.tar.gz (the directory is not a file)", n, ok)
	}
	if ms, err := c.Glob(context.Background(), dir+"/.*.tar.gz"); err != nil || len(ms) != 1 {
		t.Errorf("a dot pattern matches dot files: %v, %v", ms, err)
	}
	if _, err := c.Glob(context.Background(), dir+"/*/x"); err == nil {
		t.Errorf("a wildcard in a directory element was accepted")
	}
	if !HasGlob("backups/*.tar.gz") || HasGlob("back*ups/x") || HasGlob("plain") {
		t.Errorf("HasGlob")
	}
}
