package sftpx

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/pkg/sftp"
)

// Optional steps. A transfer needs OPEN, WRITE, READ, CLOSE, STAT and
// RENAME; everything else sshpin asks a server is there to make it
// better (a private temporary file, the source's mode, a sync before the
// rename, a better error), and servers other than OpenSSH's refuse some
// of it: ProFTPD's mod_sftp can be set to ignore SETSTAT, servers built
// on pkg/sftp's request server answer an FSETSTAT on a file they create
// at close with "no such file", others answer SSH_FX_OP_UNSUPPORTED. A
// refused optional step never stops a transfer: sshpin falls back to
// another way to do it, or goes on without it and says, once per
// connection, what was not done and what the server answered.

// refusal tells whether err is the server's answer to a request, on a
// connection that still serves: a status (pkg/sftp turns NO_SUCH_FILE and
// PERMISSION_DENIED into fs errors), not a connection that died or a
// deadline that fired.
func (c *Client) refusal(err error) bool {
	if err == nil || c.g.Failure() != nil {
		return false
	}
	var se *sftp.StatusError
	return errors.As(err, &se) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// warnOnce emits a warning the first time key is warned about on c: a
// server that refuses a step for one file refuses it for all of them.
func (c *Client) warnOnce(key, msg string) {
	if _, dup := c.ses.warned.LoadOrStore(key, true); !dup {
		emit(c.opts.Events, Event{Kind: EventWarning, Message: msg})
	}
}

// restrictTemp gives the new, empty temporary file mode (0600, or the
// final mode when earlyMode allows it) before any byte goes into it: with
// FSETSTAT on its handle, else SETSTAT by name. set says one of them did.
// A server that refuses both gets the upload anyway, with a warning: the
// file then has the mode the server gives new files while it is written.
func (c *Client) restrictTemp(w *sftp.File, tmp string, mode fs.FileMode) (set bool, err error) {
	ferr := w.Chmod(mode)
	if ferr == nil {
		return true, nil
	}
	if !c.refusal(ferr) {
		return false, wrap(ferr, "cannot restrict the temporary file's mode")
	}
	perr := c.sftp.Chmod(tmp, mode)
	if perr == nil {
		return true, nil
	}
	if !c.refusal(perr) {
		return false, wrap(perr, "cannot restrict the temporary file's mode")
	}
	c.warnOnce("restrict", fmt.Sprintf("the server refused to make the temporary file of an upload private (FSETSTAT: %s; SETSTAT: %s): uploads are written with the mode the server gives new files (first: %s)",
		describe(ferr), describe(perr), tmp))
	return false, nil
}

// earlyMode reports whether an upload's final mode can be its temporary
// file's from the start, instead of 0600 first and the final mode at the
// end (one request less per file). It can when it lets no one write the
// file but its owner, who must be able to: a file being filled is then
// open to no one its final self is not, and no server refuses its
// owner's writes through a handle opened before the change (a read-only
// final mode, 0444, is set at the end). Group- or world-writable files
// stay private while they are written: until the size is checked, no one
// else may change them.
func earlyMode(mode fs.FileMode) bool {
	return mode&0o022 == 0 && mode&0o200 != 0
}

// setModeRefused handles the server's refusal, setErr, of the SETSTAT that
// gives the upload to dst its final mode: FSETSTAT on the open handle is
// tried instead, and a refusal of both is a warning. Anything else (a
// dead connection) is the upload's failure.
func (c *Client) setModeRefused(w *sftp.File, dst string, mode fs.FileMode, setErr error) error {
	if !c.refusal(setErr) {
		return wrap(setErr, "cannot set the mode")
	}
	ferr := w.Chmod(mode)
	if ferr == nil {
		return nil
	}
	if !c.refusal(ferr) {
		return wrap(ferr, "cannot set the mode")
	}
	c.warnOnce("mode", fmt.Sprintf("the server refused to set the mode of an upload (SETSTAT: %s; FSETSTAT: %s): uploads keep the mode the server gave them (first: %s, want %04o)",
		describe(setErr), describe(ferr), dst, mode))
	return nil
}

// checkMode compares the mode the server reports for the upload to dst
// with the one it accepted to set: a server can answer SETSTAT with OK and
// ignore it (ProFTPD with IgnoreSFTPSetPerms). want 0: nothing to check.
func (c *Client) checkMode(st fs.FileInfo, dst string, want fs.FileMode) {
	if want == 0 || st.Mode().Perm() == want {
		return
	}
	c.warnOnce("mode-ignored", fmt.Sprintf("the server answered OK to setting the mode of an upload, but ignored it: %s has mode %04o, want %04o (uploads keep the mode the server gives them)",
		dst, st.Mode().Perm(), want))
}

// syncRefused tells whether err, the server's answer to
// fsync@openssh.com on the upload to dst, is a refusal to sync at all
// (unsupported, or a server that does not know its own handle), after
// which the upload goes on unsynced, with a warning. A failure of the
// sync itself (SSH_FX_FAILURE: the server's disk) is no refusal: the
// upload fails, as OpenSSH's sftp put -f does.
func (c *Client) syncRefused(err error, dst string) bool {
	var se *sftp.StatusError
	switch {
	case !c.refusal(err):
		return false
	case errors.As(err, &se) && se.FxCode() != sftp.ErrSSHFxOpUnsupported && se.FxCode() != sftp.ErrSSHFxBadMessage:
		return false
	}
	c.warnOnce("fsync", fmt.Sprintf("the server announces %s but refused it (%s): uploads are renamed into place without a sync (first: %s)",
		fsyncExtension, describe(err), dst))
	return true
}

// lstat is Lstat, or Stat on a server that does not implement LSTAT:
// place and replace only need to know whether a file is there and what
// it is, and a link is what Stat follows anyway.
func (c *Client) lstat(p string) (fs.FileInfo, error) {
	st, err := c.sftp.Lstat(p)
	if err != nil && unsupported(err) {
		return c.sftp.Stat(p)
	}
	return st, err
}
