package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Entry is one file a listing shows.
type Entry struct {
	Name    string // the name in its directory; for a listed file, the path as given
	Path    string // the remote path
	Size    int64
	Mode    fs.FileMode
	ModTime time.Time
}

// List returns the entries of the remote directory, sorted by name, or the
// file itself when remote is not a directory.
func (c *Client) List(ctx context.Context, remote string) ([]Entry, error) {
	var out []Entry
	err := c.do(ctx, func() error {
		p := remotePath(remote)
		st, err := c.sftp.Stat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			out = []Entry{{Name: remote, Path: remote, Size: st.Size(), Mode: st.Mode(), ModTime: st.ModTime()}}
			return nil
		}
		infos, err := c.sftp.ReadDir(p)
		if err != nil {
			return err
		}
		for _, fi := range infos {
			out = append(out, Entry{Name: fi.Name(), Path: path.Join(remote, fi.Name()), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		return nil, &TransferError{Op: "ls", Remote: remote, Err: err}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Remove removes the remote file, or with recursive the directory and all
// it holds. A directory's removal goes on past a file it cannot remove,
// and the error names every such file.
func (c *Client) Remove(ctx context.Context, remote string, recursive bool) error {
	var errs []error
	err := c.do(ctx, func() error {
		st, err := c.sftp.Lstat(remote)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return c.sftp.Remove(remote)
		}
		if !recursive {
			return errors.New("is a directory (use -r)")
		}
		errs = c.removeTree(ctx, remote)
		return nil
	})
	if err != nil {
		return &TransferError{Op: "rm", Remote: remote, Err: err}
	}
	return errors.Join(errs...)
}

func (c *Client) removeTree(ctx context.Context, dir string) []error {
	infos, err := c.sftp.ReadDir(dir)
	if err != nil {
		return []error{&TransferError{Op: "rm", Remote: dir, Err: wrap(err, "cannot list the directory")}}
	}
	var errs []error
	for _, fi := range infos {
		if ctx.Err() != nil {
			return append(errs, ctx.Err())
		}
		if !safeName(fi.Name()) {
			errs = append(errs, &TransferError{Op: "rm", Remote: dir, Err: fmt.Errorf("the server sent an unsafe file name %q: skipped", fi.Name())})
			continue
		}
		p := path.Join(dir, fi.Name())
		// ReadDir reports links as links (lstat), so a link to a directory
		// is removed, never followed.
		if fi.IsDir() {
			errs = append(errs, c.removeTree(ctx, p)...)
			continue
		}
		c.g.arm()
		if err := c.sftp.Remove(p); err != nil {
			errs = append(errs, &TransferError{Op: "rm", Remote: p, Err: err})
		}
	}
	c.g.arm()
	if err := c.sftp.RemoveDirectory(dir); err != nil && len(errs) == 0 {
		errs = append(errs, &TransferError{Op: "rm", Remote: dir, Err: err})
	}
	return errs
}

// Mkdir makes the remote directory; with parents, also the missing
// directories above it, and an existing directory is no error.
func (c *Client) Mkdir(ctx context.Context, remote string, parents bool) error {
	err := c.do(ctx, func() error {
		if parents {
			return c.sftp.MkdirAll(remote)
		}
		err := c.sftp.Mkdir(remote)
		if err != nil {
			// SFTPv3 has no "exists" status: OpenSSH says "Failure".
			if _, serr := c.sftp.Lstat(remote); serr == nil {
				return errors.New("already exists")
			}
		}
		return err
	})
	if err != nil {
		return &TransferError{Op: "mkdir", Remote: remote, Err: err}
	}
	return nil
}
