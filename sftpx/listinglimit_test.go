package sftpx

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// endlessLister plays a server whose listing of /endless never ends:
// batch after batch of fresh names (each name long, with long set), or,
// with empty set, batches of no entry at all. Other directories are the
// memFS's.
type endlessLister struct {
	sftp.FileLister
	empty bool
	long  bool
	batch int
}

// listedFile is a regular file of one byte named name.
type listedFile string

func (f listedFile) Name() string     { return string(f) }
func (listedFile) Size() int64        { return 1 }
func (listedFile) Mode() fs.FileMode  { return 0o644 }
func (listedFile) ModTime() time.Time { return time.Unix(1e9, 0) }
func (listedFile) IsDir() bool        { return false }
func (listedFile) Sys() any           { return nil }

type endlessAt struct{ l endlessLister }

func (e endlessAt) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if e.l.empty {
		return 0, nil // never io.EOF
	}
	n := min(len(out), e.l.batch)
	for i := range n {
		name := "f" + strconv.FormatInt(off+int64(i), 10)
		if e.l.long {
			name += strings.Repeat("x", 1000)
		}
		out[i] = listedFile(name)
	}
	return n, nil
}

func (l endlessLister) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	if r.Method == "List" && r.Filepath == "/endless" {
		return endlessAt{l}, nil
	}
	return l.FileLister.Filelist(r)
}

func (l endlessLister) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return l.FileLister.(sftp.LstatFileLister).Lstat(r)
}

// A server that lists a directory without end (fresh names, empty
// batches, or names that fill the bytes limit first) cannot hold sshpin
// or grow its memory: the listing stops at the limit with a
// *ListingTooLongError naming it, well before the deadline, and the
// connection still serves. A real directory within the limits lists
// whole, as often as asked: the count is per listing, not per
// connection.
func TestListingWithoutEnd(t *testing.T) {
	for _, c := range []struct {
		name            string
		lister          endlessLister
		entries, bytes  int
		wantWhat        string
		wantLimit       int
		wantErrContains string
	}{
		{"endless names", endlessLister{batch: 100}, 1000, 0, "entries", 1000, "more than 1000 entries in /endless"},
		{"endless empty batches", endlessLister{empty: true}, 50, 0, "entries", 50, "more than 50 entries"},
		{"long names fill the bytes", endlessLister{batch: 20, long: true}, 0, 64 << 10, "bytes", 64 << 10, "more than 65536 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, client, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
				l := c.lister
				l.FileLister = h.FileList
				h.FileList = l
				return h
			}})
			s.fs.write(t, "/endless/seed", []byte("x"))
			for i := range 30 {
				s.fs.write(t, "/real/f"+strconv.Itoa(i), []byte("y"))
			}
			client.SetListingLimits(c.entries, c.bytes)
			_, err := client.List(context.Background(), "/endless")
			var le *ListingTooLongError
			if !errors.As(err, &le) || le.What != c.wantWhat || le.Limit != c.wantLimit || !strings.Contains(err.Error(), c.wantErrContains) {
				t.Fatalf("List of an endless directory: %v, want a ListingTooLongError of %d %s", err, c.wantLimit, c.wantWhat)
			}
			if errors.Is(err, ErrTimeout) {
				t.Errorf("the listing ran into the deadline instead of the limit: %v", err)
			}
			// Limits of 40 entries: three listings of 30 each pass.
			client.SetListingLimits(40, 0)
			for range 3 {
				got, err := client.List(context.Background(), "/real")
				if err != nil || len(got) != 30 {
					t.Fatalf("List of a real directory after the cut: %d entries, %v", len(got), err)
				}
			}
		})
	}
}
