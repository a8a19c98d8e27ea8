package report

import (
	"fmt"
	"io"
	"io/fs"
	"time"
)

// FileRecord is sftp's --json line per file. Names are the real bytes
// (JSON escapes controls itself); one that is not UTF-8, which a JSON
// string cannot carry, also comes escaped (NotUTF8) in its *_escaped
// field, for a script to find the file by: Escaped fills them in.
type FileRecord struct {
	Remote        string  `json:"remote"`
	RemoteEscaped string  `json:"remote_escaped,omitempty"`
	Source        string  `json:"source,omitempty"` // cp: the file copied from
	SourceEscaped string  `json:"source_escaped,omitempty"`
	Local         string  `json:"local,omitempty"`
	LocalEscaped  string  `json:"local_escaped,omitempty"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	SHA256        string  `json:"sha256,omitempty"`
	// Verified is the proof the file got: size, sha256-server or
	// sha256-readback (sftpx.Proof*).
	Verified string        `json:"verified,omitempty"`
	Newest   *NewestRecord `json:"newest,omitempty"` // what --newest chose, when it brought this file
	Error    string        `json:"error,omitempty"`
	// ErrorKind classifies a connection that failed, as scan's error_kind.
	ErrorKind string `json:"error_kind,omitempty"`
}

// Escaped fills in the *_escaped fields the names need.
func (r FileRecord) Escaped() FileRecord {
	r.RemoteEscaped, r.SourceEscaped, r.LocalEscaped = NotUTF8(r.Remote), NotUTF8(r.Source), NotUTF8(r.Local)
	return r
}

// SkipRecord is the --json line of a file a recursive copy left out on
// purpose: FileRecord's fields, "skipped": true and the reason.
type SkipRecord struct {
	FileRecord
	Skipped bool   `json:"skipped"`
	Reason  string `json:"reason"`
}

// NewestRecord is, in --json, what --newest chose and among what: on
// every record of the files it brought (a directory's, with -r).
type NewestRecord struct {
	Pattern    string `json:"pattern"`
	Name       string `json:"name"`
	MTime      string `json:"mtime"`
	Size       int64  `json:"size"`
	Matched    int    `json:"matched"`    // names the pattern matched
	Candidates int    `json:"candidates"` // of them, files (and with -r directories) it could choose
	Tied       int    `json:"tied"`       // candidates with the chosen one's time, itself included
}

// Transfer is one file an sftp run moved, failed to move, or left out,
// its names as the user would write them.
type Transfer struct {
	Op     string // "get", "put", "cp", or the step that failed ("glob")
	Remote string // the remote file; for cp the destination's ("" if none yet)
	Local  string // the local file ("" if none yet; none for cp)
	Source string // cp: the file copied from
	Bytes  int64
	Took   time.Duration
	SHA256 string
	Proof  string // what proved the file: Verified in FileRecord
	Newest *NewestRecord
	// Err is why the file failed, "" when it did not.
	Err string
	// Skipped: left out on purpose, for Reason; neither a failure nor a
	// file moved.
	Skipped bool
	Reason  string
}

// fromTo are the two ends as a line shows them: where the bytes came
// from, and where they went.
func (t Transfer) fromTo() (from, to string) {
	switch t.Op {
	case "cp":
		return t.Source, t.Remote
	case "put":
		return t.Local, t.Remote
	}
	return t.Remote, t.Local
}

// Record is t's --json line: a SkipRecord for a skipped file, else a
// FileRecord.
func (t Transfer) Record() any {
	rec := FileRecord{Remote: t.Remote, Source: t.Source, Local: t.Local}
	if t.Skipped {
		return SkipRecord{rec.Escaped(), true, t.Reason}
	}
	rec.Bytes, rec.Seconds, rec.SHA256, rec.Verified, rec.Newest, rec.Error = t.Bytes, t.Took.Seconds(), t.SHA256, t.Proof, t.Newest, t.Err
	return rec.Escaped()
}

// WriteTransfer writes t's line on stdout: the file moved, with its size,
// time, rate, SHA-256 and proof. A line wider than width (0: any width)
// drops the SHA-256, 71 columns of it, to an indented line of its own
// under the rest, so that it fits an 80-column terminal whole.
func WriteTransfer(w io.Writer, t Transfer, width int) {
	from, to := t.fromTo()
	if t.Skipped {
		fmt.Fprintf(w, "skipped: %s: %s\n", Safe(from), Safe(t.Reason))
		return
	}
	head := fmt.Sprintf("%s -> %s  %s in %.2fs (%s/s)", Safe(from), Safe(to), Size(t.Bytes), t.Took.Seconds(), Rate(t.Bytes, t.Took))
	line := fmt.Sprintf("%s  sha256:%s  verified:%s", head, t.SHA256, t.Proof)
	if width <= 0 || textWidth(line) <= width {
		fmt.Fprintln(w, line)
		return
	}
	fmt.Fprintf(w, "%s  verified:%s\n  sha256:%s\n", head, t.Proof, t.SHA256)
}

// TransferFailure is the message that says t failed, unescaped: the
// caller escapes it with the rest of its stderr line.
func TransferFailure(t Transfer) string {
	// Both ends once both are known; before that, the one that is.
	switch {
	case t.Op == "cp" && t.Remote == "":
		return fmt.Sprintf("cp %s: %s", t.Source, t.Err)
	case t.Op != "cp" && t.Local == "":
		return fmt.Sprintf("%s %s: %s", t.Op, t.Remote, t.Err)
	}
	from, to := t.fromTo()
	return fmt.Sprintf("%s %s -> %s: %s", t.Op, from, to, t.Err)
}

// FileType is the JSON type of a listed entry: file, dir, symlink, other.
func FileType(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "other"
}

// Size is n bytes for people: 512 B, 1.5 KiB, 3.2 GiB.
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Rate is n bytes in d as Size per second; "-" when no time passed.
func Rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return Size(int64(float64(n) / d.Seconds()))
}
