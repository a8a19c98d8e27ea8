package sftpx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/sftp"
)

// failNamed fails every write to the temporary files of uploads to the
// names in bad: the server acknowledges the open, then refuses the bytes.
type failNamed struct {
	sftp.FileWriter
	bad []string
}

func (f failNamed) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	w, err := f.FileWriter.Filewrite(r)
	if err != nil {
		return nil, err
	}
	for _, b := range f.bad {
		if strings.HasPrefix(filepath.Base(r.Filepath), "."+b+tempInfix) {
			return failWriterAt{}, nil
		}
	}
	return w, nil
}

// failReads fails every read of the files named in bad.
type failReads struct {
	sftp.FileReader
	bad []string
}

func (f failReads) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	if slices.Contains(f.bad, filepath.Base(r.Filepath)) {
		return failReaderAt{}, nil
	}
	return f.FileReader.Fileread(r)
}

type failReaderAt struct{}

func (failReaderAt) ReadAt([]byte, int64) (int, error) { return 0, sftp.ErrSSHFxFailure }

// Many files in flight at once (several times treeFiles, spread over
// lanes), small ones and ones of several chunks, and some of them fail
// halfway: every Result still comes in the walk's order, exactly the
// failed files fail, no temporary file of theirs is left on either side,
// and every other file arrives byte for byte, whatever buffers the
// transfers before it recycled (chunkBufs).
func TestTreeFailuresInFlight(t *testing.T) {
	n := 3*treeFiles + 5
	bad := []string{"f003", "f017", fmt.Sprintf("f%03d", n-1)}
	files := map[string][]byte{}
	var names []string
	for i := range n {
		name := fmt.Sprintf("f%03d", i)
		size := 1 + i%17
		if i%7 == 0 {
			size = 600<<10 + i // several chunks, a ragged end
		}
		files[name] = randomBytes(t, size)
		names = append(names, name)
	}
	check := func(t *testing.T, rs []Result, name func(Result) string) {
		t.Helper()
		if len(rs) != n {
			t.Fatalf("%d Results, want %d", len(rs), n)
		}
		for i, r := range rs {
			if got := name(r); got != names[i] {
				t.Fatalf("Result %d is %s, want %s: not in the walk's order", i, got, names[i])
			}
			if want := slices.Contains(bad, names[i]); (r.Err != nil) != want {
				t.Errorf("%s: Err = %v, want a failure: %v", names[i], r.Err, want)
			}
		}
	}
	t.Run("put", func(t *testing.T) {
		s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
			h.FilePut = failNamed{h.FilePut, bad}
			return h
		}})
		src := filepath.Join(t.TempDir(), "src")
		for name, b := range files {
			writeLocal(t, filepath.Join(src, name), b)
		}
		rs := collect(func(each func(Result)) {
			c.Put(context.Background(), src, "/dst", TransferOptions{Recursive: true}, each)
		})
		check(t, rs, func(r Result) string { return filepath.Base(r.Remote) })
		got := s.fs.names(t, "/dst")
		for _, g := range got {
			if isTempName(g) {
				t.Errorf("temporary file left on the server: %s", g)
			}
		}
		for _, name := range names {
			switch {
			case slices.Contains(bad, name):
				if slices.Contains(got, name) {
					t.Errorf("%s failed, yet is on the server", name)
				}
			case !bytes.Equal(s.fs.read(t, "/dst/"+name), files[name]):
				t.Errorf("/dst/%s differs from what was sent", name)
			}
		}
	})
	t.Run("get", func(t *testing.T) {
		s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
			h.FileGet = failReads{h.FileGet, bad}
			return h
		}})
		for name, b := range files {
			s.fs.write(t, "/src/"+name, b)
		}
		dst := filepath.Join(t.TempDir(), "got")
		rs := collect(func(each func(Result)) {
			c.Get(context.Background(), "/src", dst, TransferOptions{Recursive: true}, each)
		})
		check(t, rs, func(r Result) string { return filepath.Base(r.Local) })
		es, err := os.ReadDir(dst)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if strings.Contains(e.Name(), tempInfix) {
				t.Errorf("temporary file left locally: %s", e.Name())
			}
		}
		for _, name := range names {
			switch b, err := os.ReadFile(filepath.Join(dst, name)); {
			case slices.Contains(bad, name):
				if err == nil {
					t.Errorf("%s failed, yet is in %s", name, dst)
				}
			case err != nil:
				t.Error(err)
			case !bytes.Equal(b, files[name]):
				t.Errorf("%s differs from the server's", name)
			}
		}
	})
}
