package sftpx

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pkg/sftp"
)

// reverseLister lists every directory in reverse name order, as a server
// may list in any order.
type reverseLister struct{ sftp.FileLister }

func (r reverseLister) Filelist(req *sftp.Request) (sftp.ListerAt, error) {
	l, err := r.FileLister.Filelist(req)
	if err != nil || req.Method != "List" {
		return l, err
	}
	var all []os.FileInfo
	buf := make([]os.FileInfo, 16)
	for off := int64(0); ; {
		n, err := l.ListAt(buf, off)
		all = append(all, buf[:n]...)
		off += int64(n)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.Reverse(all)
	return listerAt(all), nil
}

// get -r, put -r and cp -r give their results in one order: depth first,
// each directory in name order, whatever order the server lists in.
func TestRecursiveResultOrder(t *testing.T) {
	reverse := serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
		h.FileList = reverseLister{h.FileList}
		return h
	}}
	files := []string{"b", "a/z", "a/y", "c", "a/m/q"}
	want := []string{"a/m/q", "a/y", "a/z", "b", "c"}
	names := func(rs []Result, root string, remote bool) []string {
		var out []string
		for _, r := range rs {
			if r.Err != nil {
				t.Fatalf("%+v", r)
			}
			p := r.Local
			if remote {
				p = r.Remote
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return out
	}
	ctx := context.Background()

	srv, c, _ := dialServer(t, reverse)
	for _, f := range files {
		srv.fs.write(t, "/t/"+f, []byte(f))
	}
	out := filepath.Join(t.TempDir(), "t")
	rs := collect(func(each func(Result)) { c.Get(ctx, "/t", out, TransferOptions{Recursive: true}, each) })
	if got := names(rs, out, false); !slices.Equal(got, want) {
		t.Errorf("get -r: %q, want %q", got, want)
	}

	rs = collect(func(each func(Result)) { c.Put(ctx, out, "/up", TransferOptions{Recursive: true}, each) })
	if got := names(rs, "/up", true); !slices.Equal(got, want) {
		t.Errorf("put -r: %q, want %q", got, want)
	}

	_, dst, _ := dialServer(t, serverConfig{})
	rs = collect(func(each func(Result)) { dst.Copy(ctx, c, "/t", "/cp", TransferOptions{Recursive: true}, each) })
	if got := names(rs, "/cp", true); !slices.Equal(got, want) {
		t.Errorf("cp -r: %q, want %q", got, want)
	}
}
