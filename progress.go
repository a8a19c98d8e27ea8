package main

import (
	"os"

	"golang.org/x/term"

	"github.com/sshpin/sshpin/report"
)

// startProgress draws the progress line (report.Progress) for a run of
// total targets (-1: not known) when stderr is a terminal, and returns
// nil otherwise: logs, pipes and CI never see it.
func (e *env) startProgress(total int) *report.Progress {
	f, ok := e.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := report.NewProgress(f, "sshpin: ", total)
	p.Start()
	return p
}
