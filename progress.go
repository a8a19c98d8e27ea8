package main

import "github.com/sshpin/sshpin/report"

// startProgress draws the progress line (report.Progress) for a run of
// total targets (-1: not known) when stderr is a terminal, and returns
// nil otherwise: logs, pipes and CI never see it.
func (e *env) startProgress(total int) *report.Progress {
	f := terminal(e.stderr)
	if f == nil {
		return nil
	}
	p := report.NewProgress(f, "sshpin: ", total)
	p.Start()
	return p
}
