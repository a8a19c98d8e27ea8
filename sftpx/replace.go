package sftpx

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// ReplaceStep names the step of a non-atomic replace that failed.
type ReplaceStep int

const (
	// StepAside: the old file could not be renamed to its backup name.
	// Nothing changed: the destination holds the old file.
	StepAside ReplaceStep = iota + 1
	// StepIntoPlace: the old file was moved aside, the new one could not
	// be renamed into place, and the old one was moved back: the
	// destination holds the old file.
	StepIntoPlace
	// StepRestore: as StepIntoPlace, and the old file could not be moved
	// back either: the destination does not exist, the old file is at
	// Backup and the new one at Temp. Nothing is removed.
	StepRestore
)

// ReplaceError is an upload that could not replace its destination on a
// server without posix-rename@openssh.com, where SFTPv3's rename refuses
// an existing target: replace moves the old file aside to a backup name,
// renames the new one into place, and removes the backup only then. It
// says which step failed and where each file is now.
type ReplaceError struct {
	Dst    string
	Backup string // the old file's backup name
	// Temp is where the new, verified file is left; "" when it was
	// removed.
	Temp string
	Step ReplaceStep
	// RenameErr is the server's answer to the first rename of the new
	// file over Dst, which sent replace down this path.
	RenameErr error
	// Err is the server's answer to the step that failed (for
	// StepRestore, to the rename into place); RestoreErr, for
	// StepRestore, its answer to moving the old file back.
	Err        error
	RestoreErr error
	// Cause is why the replace stopped when the server did not refuse
	// it: the deadline fired, or the transfer was interrupted, and the
	// connection was closed between its steps.
	Cause error
}

func (e *ReplaceError) Error() string {
	var b strings.Builder
	b.WriteString("sftpx: ")
	if e.Cause != nil {
		b.WriteString(describe(e.Cause) + ": ")
	}
	switch e.Step {
	case StepAside:
		fmt.Fprintf(&b, "the server refused to rename the new file over %s (%s) and to move the old file aside to %s (%s): %s is unchanged",
			e.Dst, describe(e.RenameErr), e.Backup, describe(e.Err), e.Dst)
	case StepIntoPlace:
		fmt.Fprintf(&b, "the server moved the old file aside to %s, then refused to rename the new file into place (%s); the old file was moved back: %s is unchanged",
			e.Backup, describe(e.Err), e.Dst)
	default:
		fmt.Fprintf(&b, "the server moved the old file aside to %s, then refused to rename the new file into place (%s) and to move the old file back (%s): %s does not exist; the old file is at %s",
			e.Backup, describe(e.Err), describe(e.RestoreErr), e.Dst, e.Backup)
	}
	if e.Temp != "" {
		fmt.Fprintf(&b, ", the new one (verified) at %s", e.Temp)
	} else {
		b.WriteString("; the upload was removed")
	}
	return b.String()
}

func (e *ReplaceError) Unwrap() []error { return []error{e.Err, e.Cause} }

// withReplace is err, the outcome of a transfer, with the state of the
// replace re that failed in it: Client.do returns the deadline or the
// interruption instead of the error of the request it cut short, and
// the user must still learn where the old and the new file are.
func withReplace(err error, re *ReplaceError) error {
	if re == nil || err == nil {
		return err
	}
	if errors.As(err, new(*ReplaceError)) {
		return err
	}
	re.Cause = err
	return re
}

// replaced is how replace put the new file in place.
type replaced struct {
	// notAtomic: the old file was moved aside first, so that for a
	// moment dst did not exist.
	notAtomic bool
	backup    string // the old file's backup name, for notAtomic
	// kept: the backup could not be removed and stays, for keptErr.
	kept    bool
	keptErr error
}

// backupInfix is what backupName puts between ".NAME" and 16 hex digits.
// It is not tempInfix: a backup may be the only copy of a file, which no
// leftover scan (removeLeftovers) may take for debris.
const backupInfix = ".sshpin-old-"

func backupName(dst string) string {
	var b [8]byte
	rand.Read(b[:])
	return path.Join(path.Dir(dst), "."+path.Base(dst)+backupInfix+hex.EncodeToString(b[:]))
}

// replace renames tmp over dst: atomically with posix-rename; otherwise
// with SFTPv3's rename, which refuses an existing target. Then the old
// file is moved aside to a backup name, never removed before the new one
// is in place: the new one is renamed into place, and only then is the
// backup removed. A step that fails undoes the ones before it, and the
// *ReplaceError says where each file is; a backup that cannot be removed
// at the end is no failure (dst holds the new file), and stays.
func (c *Client) replace(tmp, dst string) (replaced, error) {
	if _, ok := c.sftp.HasExtension(posixRename); ok {
		err := c.sftp.PosixRename(tmp, dst)
		if !unsupported(err) {
			return replaced{}, err
		}
	}
	renameErr := c.sftp.Rename(tmp, dst)
	if renameErr == nil {
		return replaced{}, nil
	}
	old, serr := c.lstat(dst)
	if serr != nil || !old.Mode().IsRegular() && old.Mode()&fs.ModeSymlink == 0 {
		// No file to replace (the rename failed for another reason), or
		// one replace must not move (a directory). A link is moved aside
		// like a file: place only leaves one at dst on a server that
		// would not resolve it, and then replaces the link.
		return replaced{}, renameErr
	}
	backup := backupName(dst)
	re := &ReplaceError{Dst: dst, Backup: backup, Temp: tmp, RenameErr: renameErr}
	if err := c.sftp.Rename(dst, backup); err != nil {
		re.Step, re.Err = StepAside, err
		return replaced{}, re
	}
	if err := c.sftp.Rename(tmp, dst); err != nil {
		re.Err = err
		if rerr := c.sftp.Rename(backup, dst); rerr != nil {
			re.Step, re.RestoreErr = StepRestore, rerr
			return replaced{}, re
		}
		re.Step = StepIntoPlace
		return replaced{}, re
	}
	r := replaced{notAtomic: true, backup: backup}
	if err := c.sftp.Remove(backup); err != nil {
		r.kept, r.keptErr = true, err
	}
	return r, nil
}
