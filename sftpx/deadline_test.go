package sftpx

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/sftp"
)

// slowLister serves every READDIR batch of one entry at a time, each
// after delay: a large directory over a slow link, where every reply
// comes well within the timeout and the listing as a whole does not.
type slowLister struct {
	sftp.FileLister
	delay time.Duration
}

func (l slowLister) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	la, err := l.FileLister.Filelist(r)
	if err != nil || r.Method != "List" {
		return la, err
	}
	return slowListerAt{la, l.delay}, nil
}

func (l slowLister) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	return l.FileLister.(sftp.LstatFileLister).Lstat(r)
}

func (l slowLister) Readlink(p string) (string, error) {
	return l.FileLister.(sftp.ReadlinkFileLister).Readlink(p)
}

type slowListerAt struct {
	sftp.ListerAt
	delay time.Duration
}

func (l slowListerAt) ListAt(ls []os.FileInfo, off int64) (int, error) {
	time.Sleep(l.delay) // the slow link: the server answers late, not never
	return l.ListerAt.ListAt(ls[:min(1, len(ls))], off)
}

// --timeout bounds a stall, not a listing: ls, get -r, rm -r and put's
// leftover scan of a directory whose listing takes many times the
// timeout, every READDIR reply within it, all succeed. By construction:
// entries+1 batches of timeout/4 each take more than 3 timeouts.
func TestDeadlineFollowsEveryReply(t *testing.T) {
	const (
		timeout = time.Second
		entries = 12
	)
	ops := []struct {
		name string
		run  func(t *testing.T, s *testServer, c *Client) error
	}{
		{"ls", func(t *testing.T, s *testServer, c *Client) error {
			es, err := c.List(context.Background(), "/big")
			if err == nil && len(es) != entries {
				err = fmt.Errorf("%d entries, want %d", len(es), entries)
			}
			return err
		}},
		{"get -r", func(t *testing.T, s *testServer, c *Client) error {
			dst := t.TempDir()
			for _, r := range collect(func(each func(Result)) {
				c.Get(context.Background(), "/big", dst, TransferOptions{Recursive: true}, each)
			}) {
				if r.Err != nil {
					return r.Err
				}
			}
			if n := len(dirNames(t, filepath.Join(dst, "big"))); n != entries {
				return fmt.Errorf("%d files copied, want %d", n, entries)
			}
			return nil
		}},
		{"rm -r", func(t *testing.T, s *testServer, c *Client) error {
			if err := c.Remove(context.Background(), "/big", true); err != nil {
				return err
			}
			if s.fs.exists("/big") {
				return fmt.Errorf("/big is still there")
			}
			return nil
		}},
		{"put (leftover scan)", func(t *testing.T, s *testServer, c *Client) error {
			local := filepath.Join(t.TempDir(), "up")
			writeLocal(t, local, []byte("up"))
			return c.PutFile(context.Background(), local, "/big/up").Err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			s, c, _ := dialServer(t, serverConfig{wrap: func(_ net.Conn, h sftp.Handlers) sftp.Handlers {
				h.FileList = slowLister{h.FileList, timeout / 4}
				return h
			}})
			for i := range entries {
				s.fs.write(t, fmt.Sprintf("/big/f%02d", i), []byte("x"))
			}
			// Dial had the ordinary timeout; the operation gets the short one.
			c.g.SetTimeout(timeout)
			if err := op.run(t, s, c); err != nil {
				t.Fatalf("%s of a directory listed in %d slow batches: %v", op.name, entries+1, err)
			}
		})
	}
}

var _ io.Reader = (*replyReader)(nil)
