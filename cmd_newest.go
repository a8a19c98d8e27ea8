package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/sftpx"
)

// noteNewest says on stderr what --newest chose, and keeps it for the
// JSON records of what it brings.
func (e *env) noteNewest(s *sftpSession, pattern string, n sftpx.NewestChoice) {
	rec := &report.NewestRecord{Pattern: s.remoteName(pattern), Name: n.Name, MTime: n.ModTime.UTC().Format(time.RFC3339),
		Size: n.Size, Matched: n.Matched, Candidates: n.Candidates, Tied: n.Tied}
	if s.newest == nil {
		s.newest = map[string]*report.NewestRecord{}
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
func (s *sftpSession) newestFor(p string) *report.NewestRecord {
	for chosen, rec := range s.newest {
		if p == chosen || strings.HasPrefix(p, strings.TrimSuffix(chosen, "/")+"/") {
			return rec
		}
	}
	return nil
}
