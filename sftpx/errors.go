package sftpx

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sshpin/sshpin/sshdial"
)

// ErrTimeout is wrapped by every error that a deadline caused: the server
// did not answer, or a transfer made no progress, within sshdial.Options.Timeout.
// It is sshdial.ErrTimeout: one value, whichever package's deadline fired.
var ErrTimeout = sshdial.ErrTimeout

// ParseError says why a remote path could not be parsed.
type ParseError struct {
	Input  string
	Reason string
	// Params: the sftp:// URI carries connection parameters
	// (";fingerprint=..." of draft-ietf-secsh-scp-sftp-ssh-uri), a host
	// key given beside the name, which this package does not take: pins
	// come from known_hosts files.
	Params bool
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("sftpx: %q: %s", e.Input, e.Reason)
}

// ErrIsDir is a directory that an operation would act on only if told to
// recurse: Remove with recursive false, Get, Put and Copy without
// TransferOptions.Recursive. It says what happened; a command line adds
// how to ask for recursion in its own words.
var ErrIsDir = errors.New("is a directory")

// TransferError names the file an operation failed on. Err is often
// fs.ErrNotExist or fs.ErrPermission (errors.Is works), a *VerifyError, or
// wraps ErrTimeout.
type TransferError struct {
	Op     string // "get", "put", "cp", "ls", "rm", "mkdir", "glob"
	Remote string // the remote path (for cp, the destination)
	Local  string // the local path (for cp, the source's remote path); "" for ls, rm, mkdir, glob
	Err    error
}

func (e *TransferError) Error() string {
	var what string
	switch {
	case e.Local == "":
		what = e.Remote
	case e.Op == "put" || e.Op == "cp":
		what = e.Local + " -> " + e.Remote
	default:
		what = e.Remote + " -> " + e.Local
	}
	return fmt.Sprintf("sftpx: %s %s: %s", e.Op, what, describe(e.Err))
}

func (e *TransferError) Unwrap() error { return e.Err }

// Reason is the error without the operation and the paths, for a caller
// that names the file its own way: "not found", "permission denied", ...
func (e *TransferError) Reason() string { return describe(e.Err) }

// VerifyError is a transfer whose result does not match its source: the
// size or the SHA-256 differs. Nothing was renamed into place.
type VerifyError struct {
	What       string // "uploaded file" or "downloaded file"
	WantBytes  int64
	GotBytes   int64
	WantSHA256 string // hex; "" when only the size was compared
	GotSHA256  string
	// Differs: the bytes read back differ from the bytes sent, first at
	// offset At (the sizes and digests are then not filled in).
	Differs bool
	At      int64
	// Server: GotSHA256 is the server's own hash of the file it holds
	// (check-file), not one of bytes read from it.
	Server bool
}

func (e *VerifyError) Error() string {
	if e.Differs {
		return fmt.Sprintf("sftpx: %s differs from what was sent, from byte %d on", e.What, e.At)
	}
	if e.WantBytes != e.GotBytes {
		return fmt.Sprintf("sftpx: %s has %d bytes, want %d", e.What, e.GotBytes, e.WantBytes)
	}
	if e.Server {
		return fmt.Sprintf("sftpx: the server hashes the %s as SHA-256 %s, want %s", e.What, e.GotSHA256, e.WantSHA256)
	}
	return fmt.Sprintf("sftpx: %s has SHA-256 %s, want %s", e.What, e.GotSHA256, e.WantSHA256)
}

// describe renders the status errors pkg/sftp returns in the words of
// sftp(1), so that a line per file reads "not found" rather than "open
// /x/y: file does not exist": the TransferError names the file already.
// Errors about the local side are wrapped by the caller ("local file: ..."),
// so they keep their text.
func describe(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		err = pe.Err
	}
	switch err {
	case nil:
		return "ok"
	case fs.ErrNotExist:
		return "not found"
	case fs.ErrPermission:
		return "permission denied"
	}
	if errors.Is(err, context.Canceled) {
		// The caller cancelled: Ctrl-C, for a command line.
		return "interrupted"
	}
	return trimPrefix(err.Error())
}

// trimPrefix drops the package prefix of this package's and sshdial's
// errors, for an error inside one that names its package already.
func trimPrefix(msg string) string {
	return strings.TrimPrefix(strings.TrimPrefix(msg, "sftpx: "), "sshdial: ")
}

// stepError says which step of an operation failed, in words, and keeps
// the cause for errors.Is (fs.ErrPermission, ErrTimeout, ...).
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + describe(e.err) }
func (e *stepError) Unwrap() error { return e.err }

func wrap(err error, format string, args ...any) error {
	return &stepError{step: fmt.Sprintf(format, args...), err: err}
}
