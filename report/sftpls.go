package report

import (
	"fmt"
	"io"
	"io/fs"
	"time"
)

// TimeStyles are sftp ls's time styles, as GNU ls names them; the
// default shows seconds, so that files of the same minute (two backups
// --newest must choose between) are told apart.
var TimeStyles = []string{"default", "full-iso", "long-iso", "iso"}

// ListTime formats a listed file's modification time in style; now
// decides which files are recent for iso, as GNU ls does (the last six
// months). ok is false for a style not in TimeStyles.
func ListTime(t, now time.Time, style string) (s string, ok bool) {
	switch style {
	case "", "default":
		return t.Format("2006-01-02 15:04:05"), true
	case "full-iso":
		return t.Format("2006-01-02 15:04:05.000000000 -0700"), true
	case "long-iso":
		return t.Format("2006-01-02 15:04"), true
	case "iso":
		if t.After(now.AddDate(0, -6, 0)) && !t.After(now.Add(time.Minute)) {
			return t.Format("01-02 15:04"), true
		}
		return t.Format("2006-01-02 "), true
	}
	return "", false
}

// ListRecord is sftp ls's --json line per listed entry (or per path that
// could not be listed, with Error); *_escaped as in FileRecord.
type ListRecord struct {
	Remote        string `json:"remote"`
	RemoteEscaped string `json:"remote_escaped,omitempty"`
	Name          string `json:"name,omitempty"`
	NameEscaped   string `json:"name_escaped,omitempty"`
	Type          string `json:"type,omitempty"`
	Mode          string `json:"mode,omitempty"`
	Size          int64  `json:"size"`
	MTime         string `json:"mtime,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Listed is one entry a listing gave.
type Listed struct {
	Remote  string // the entry as the user would write it (host:path)
	Name    string // its name in the directory
	Mode    fs.FileMode
	Size    int64
	ModTime time.Time
}

// Record is l's --json line.
func (l Listed) Record() ListRecord {
	return ListRecord{Remote: l.Remote, RemoteEscaped: NotUTF8(l.Remote), Name: l.Name, NameEscaped: NotUTF8(l.Name),
		Type: FileType(l.Mode), Mode: fmt.Sprintf("%04o", l.Mode.Perm()), Size: l.Size, MTime: l.ModTime.UTC().Format(time.RFC3339)}
}

// WriteListed writes l's line as ls -l would: mode, size, time (local, in
// style, as ListTime), name, a directory's with a '/'.
func WriteListed(w io.Writer, l Listed, style string, now time.Time) {
	name := l.Name
	if l.Mode.IsDir() {
		name += "/"
	}
	when, _ := ListTime(l.ModTime.Local(), now, style)
	fmt.Fprintf(w, "%s %12d %s %s\n", l.Mode, l.Size, when, Safe(name))
}
