package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// fromFlag is --from, for the commands that judge results (check, audit):
// they can judge what sshpin scan --json wrote elsewhere instead of
// scanning.
func fromFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "from", TakesFile: true,
		Usage: "judge the JSON Lines sshpin scan --json wrote to `FILE` (repeatable; - for stdin; shards' files concatenate) instead of scanning: no network; TARGETs and -f pick which records are judged"}
}

// The modes of the commands that judge records: check needs keys, audit
// rates them when present, audit --no-keys rates the hello alone.
const (
	fromCheck  = results.ForCheck
	fromAudit  = results.ForAudit
	fromNoKeys = results.ForHello
)

// fromResults reads --from's records back into results (results.Select)
// and keeps those the run judges: every record when no target is named,
// else the records of the targets named as arguments and in -f lists.
// --shard applies as it does to a scan. Nothing reaches the network.
//
// A line that is not a record fails the run before anything is judged,
// naming file:line. An interrupt (a pipe on stdin that does not end)
// returns what was read so far.
func (e *env) fromResults(ctx context.Context, cmd *cli.Command, mode results.Mode) ([]*scan.Result, error) {
	files := cmd.StringSlice("from")
	s, err := shardOf(cmd)
	if err != nil {
		return nil, err
	}
	stdin := 0
	for _, f := range slices.Concat(files, cmd.StringSlice("file")) {
		if f == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, &usageError{msg: "standard input (-) is named more than once among --from and -f", hint: "give the records or the targets on stdin, not both"}
	}
	var named []target.Target
	for _, a := range cmd.Args().Slice() {
		t, err := target.Parse(a)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		named = append(named, t)
	}
	l := &target.List{Files: cmd.StringSlice("file"), Stdin: e.stdin}
	if err := l.Each(func(t target.Target) error { named = append(named, t); return nil }); err != nil {
		return nil, &exitError{exitFailure, err}
	}
	if len(named) == 0 && len(l.Files) > 0 {
		return nil, noTargets(cmd)
	}
	sel, err := results.Select(ctx, results.Selection{Files: files, Stdin: e.stdin, Targets: named, Shard: s, Mode: mode})
	if err != nil {
		var tm *results.TooManyRecordsError
		if errors.As(err, &tm) {
			// The parts, in the command line's words.
			err = fmt.Errorf("%w (--shard I/N, or TARGET filters)", err)
		}
		return nil, &exitError{exitFailure, err}
	}
	for _, r := range sel.Results {
		var ke *results.KeylessError
		if errors.As(r.Err, &ke) {
			r.Err = fmt.Errorf("%w (sshpin scan --json)", ke)
		}
	}
	if sel.Keyless > 0 {
		e.warnf("%s no keys (written by probe or audit --no-keys): their hello is rated, not their host keys", report.Plural(sel.Keyless, "record")+map[bool]string{true: " holds", false: " hold"}[sel.Keyless == 1])
	}
	return sel.Results, nil
}
