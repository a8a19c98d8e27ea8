package sftpx

import (
	"context"
	"errors"
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
	// Target is, for a link Glob lists, the mode of what it points to
	// (ModTime and Size are then that file's), ModeSymlink when it points
	// nowhere; 0 (taken as a regular file) when not resolved.
	Target fs.FileMode
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
		infos, err := c.readDir(p)
		if err != nil {
			return err
		}
		for _, fi := range infos {
			name, why := listedName(fi.Name())
			if why != "" {
				c.suspect(remote, name, why)
				continue
			}
			out = append(out, Entry{Name: name, Path: path.Join(remote, name), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()})
		}
		return nil
	})
	if err != nil {
		return nil, &TransferError{Op: "ls", Remote: remote, Err: err}
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ErrProtected is wrapped by the error of a removal refused because the
// path is, or resolves to, the root or the login directory, or ends in
// "." or "..": nothing was removed.
var ErrProtected = errors.New("sftpx: refusing to remove a protected directory")

type protectedError struct{ what string }

func (e *protectedError) Error() string        { return "refusing to remove " + e.what }
func (e *protectedError) Is(target error) bool { return target == ErrProtected }

// CheckRemovable refuses, by its text alone, a path whose removal would
// take the login directory ("", ".", "a/.."), the root ("/", "/..") or a
// directory named by "." or ".." (GNU rm's rule: "a/.", ".."): what a
// slip on the command line looks like, and what rm -r must never walk.
// The error wraps ErrProtected.
func CheckRemovable(p string) error {
	switch clean := path.Clean(p); {
	case p == "" || clean == ".":
		return &protectedError{"the login directory"}
	case clean == "/":
		return &protectedError{"/"}
	}
	// "a/./" is "a/.": trailing slashes name the same file.
	if base := path.Base(strings.TrimRight(p, "/")); base == "." || base == ".." {
		return &protectedError{"'.' or '..' directory"}
	}
	return nil
}

// CheckRemove says whether Remove would refuse remote: by CheckRemovable,
// or because the server resolves it to the root or the login directory
// (a link to either, or a path like "../me"). A directory that cannot be
// resolved is refused too. nil means Remove would go ahead; a missing
// file is Remove's to report.
func (c *Client) CheckRemove(ctx context.Context, remote string) error {
	if err := CheckRemovable(remote); err != nil {
		return &TransferError{Op: "rm", Remote: remote, Err: err}
	}
	if err := c.do(ctx, func() error { return c.refuseResolved(remote) }); err != nil {
		return &TransferError{Op: "rm", Remote: remote, Err: err}
	}
	return nil
}

// refuseResolved is CheckRemove's question to the server; it runs inside
// c.do. Only a directory can be the root or the login directory: a link
// to one is removed as a link, which leaves the directory be.
func (c *Client) refuseResolved(remote string) error {
	st, err := c.sftp.Lstat(remote)
	if err != nil || !st.IsDir() {
		return nil
	}
	real, err := c.sftp.RealPath(remote)
	if err != nil {
		return wrap(err, "cannot tell where the directory resolves to, so it is not removed")
	}
	if real == "/" {
		return &protectedError{"/"}
	}
	login, err := c.sftp.RealPath(".")
	if err != nil {
		return wrap(err, "cannot tell where the login directory is, so no directory is removed")
	}
	if real == login {
		return &protectedError{"the login directory"}
	}
	return nil
}

// Remove removes the remote file, or with recursive the directory and all
// it holds. A directory's removal goes on past a file it cannot remove,
// and the error names every such file. What CheckRemove refuses is not
// touched.
func (c *Client) Remove(ctx context.Context, remote string, recursive bool) error {
	if err := CheckRemovable(remote); err != nil {
		return &TransferError{Op: "rm", Remote: remote, Err: err}
	}
	var errs []error
	err := c.do(ctx, func() error {
		st, err := c.sftp.Lstat(remote)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return c.sftp.Remove(remote)
		}
		if err := c.refuseResolved(remote); err != nil {
			return err
		}
		if !recursive {
			return ErrIsDir
		}
		errs = c.removeTree(ctx, remote)
		return nil
	})
	if err != nil {
		return &TransferError{Op: "rm", Remote: remote, Err: err}
	}
	if r := c.g.Failure(); len(errs) > 0 && r != nil && ctx.Err() == nil {
		// The connection died (a deadline): that is why the rest failed.
		return &TransferError{Op: "rm", Remote: remote, Err: r}
	}
	return errors.Join(errs...)
}

func (c *Client) removeTree(ctx context.Context, dir string) []error {
	infos, err := c.readDir(dir)
	if err != nil {
		return []error{&TransferError{Op: "rm", Remote: dir, Err: wrap(err, "cannot list the directory")}}
	}
	var errs []error
	for _, fi := range infos {
		if ctx.Err() != nil {
			return append(errs, ctx.Err())
		}
		name, why := listedName(fi.Name())
		if why != "" {
			errs = append(errs, &TransferError{Op: "rm", Remote: suspectPath(dir, name), Err: errors.New(why + ": not removed")})
			continue
		}
		p := path.Join(dir, name)
		// ReadDir reports links as links (lstat), so a link to a directory
		// is removed, never followed.
		if fi.IsDir() {
			errs = append(errs, c.removeTree(ctx, p)...)
			continue
		}
		c.g.Arm()
		if err := c.sftp.Remove(p); err != nil {
			errs = append(errs, &TransferError{Op: "rm", Remote: p, Err: err})
		}
	}
	c.g.Arm()
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
