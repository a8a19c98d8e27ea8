package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sshpin/sshpin/sftpx"
)

// newestRecord is, in --json, what --newest chose and among what: on
// every record of the files it brought (a directory's, with -r).
type newestRecord struct {
	Pattern    string `json:"pattern"`
	Name       string `json:"name"`
	MTime      string `json:"mtime"`
	Size       int64  `json:"size"`
	Matched    int    `json:"matched"`    // names the pattern matched
	Candidates int    `json:"candidates"` // of them, files (and with -r directories) it could choose
	Tied       int    `json:"tied"`       // candidates with the chosen one's time, itself included
}

// noteNewest says on stderr what --newest chose, and keeps it for the
// JSON records of what it brings.
func (e *env) noteNewest(s *sftpSession, pattern string, n sftpx.NewestChoice) {
	rec := &newestRecord{Pattern: s.remoteName(pattern), Name: n.Name, MTime: n.ModTime.UTC().Format(time.RFC3339),
		Size: n.Size, Matched: n.Matched, Candidates: n.Candidates, Tied: n.Tied}
	if s.newest == nil {
		s.newest = map[string]*newestRecord{}
	}
	s.newest[n.Path] = rec
	tie := ""
	if n.Tied > 1 {
		tie = fmt.Sprintf("; %d share its time, and the greatest name wins", n.Tied)
	}
	e.warnf("newest: %s (%s, %d bytes), the latest of %d candidates among %d matching %s%s",
		n.Name, rec.MTime, n.Size, n.Candidates, n.Matched, rec.Pattern, tie)
}

// newestFor is the --newest choice that brought the remote path p: the
// chosen path itself or, with -r, a path inside it.
func (s *sftpSession) newestFor(p string) *newestRecord {
	for chosen, rec := range s.newest {
		if p == chosen || strings.HasPrefix(p, strings.TrimSuffix(chosen, "/")+"/") {
			return rec
		}
	}
	return nil
}
