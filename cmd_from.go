package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/report"
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

// fromMode is what a command needs of the records it judges.
type fromMode int

const (
	fromCheck  fromMode = iota // keys are what check judges: a record without any cannot be verified
	fromAudit                  // keys are rated when the record has them
	fromNoKeys                 // audit --no-keys: the hello alone, as a probe would have read it
)

// hostPort keys a target by what it reaches: "Web-1:22" and "web-1" are
// one target.
type hostPort struct {
	host string
	port int
}

func keyOf(t target.Target) hostPort { return hostPort{t.Host, t.Port} }

// fromResults reads --from's records back into results and keeps those the
// run judges: every record, in the order of the files and of their lines,
// when no target is named; else the records of the named targets (TARGET
// arguments and -f lists), in the order they were named, and for a named
// target no record speaks of, a failed result of its own. --shard applies
// as it does to a scan. Nothing reaches the network.
//
// A line that is not a record fails the run before anything is judged,
// naming file:line. An interrupt (a pipe on stdin that does not end)
// returns what was read so far.
func (e *env) fromResults(ctx context.Context, cmd *cli.Command, mode fromMode) ([]*scan.Result, error) {
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
	wanted := map[hostPort]bool{}
	for _, t := range named {
		wanted[keyOf(t)] = true
	}

	var mu sync.Mutex
	var results []*scan.Result
	keyless := 0
	done := make(chan error, 1)
	go func() {
		var rd report.Reader
		for _, name := range files {
			err := e.readRecords(&rd, name, func(ld report.Loaded) error {
				r := ld.Result
				k := keyOf(r.Target)
				if (len(wanted) > 0 && !wanted[k]) || !s.Has(r.Target) {
					return nil
				}
				switch {
				case mode == fromNoKeys:
					withoutKeys(r)
				case !ld.Keyed && mode == fromCheck:
					r.Err = fmt.Errorf("%s:%d holds no keys: it is a probe's record, not a scan's (sshpin scan --json)", ld.File, ld.Line)
				case !ld.Keyed:
					keyless++
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				return nil
			})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			return nil, &exitError{exitFailure, err}
		}
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(results), nil
	}
	if keyless > 0 {
		e.warnf("%s no keys (written by probe or audit --no-keys): their hello is rated, not their host keys", report.Plural(keyless, "record")+map[bool]string{true: " holds", false: " hold"}[keyless == 1])
	}
	if len(named) > 0 {
		// In the order the targets were named, as a scan of them would
		// judge them; the records of one target in the files' order. A
		// shard's file is in the order its scan finished the targets.
		byTarget := map[hostPort][]*scan.Result{}
		for _, r := range results {
			k := keyOf(r.Target)
			byTarget[k] = append(byTarget[k], r)
		}
		results = results[:0:0]
		placed := map[hostPort]bool{}
		for _, t := range named {
			k := keyOf(t)
			if placed[k] || !s.Has(t) {
				continue
			}
			placed[k] = true
			if rs := byTarget[k]; len(rs) > 0 {
				results = append(results, rs...)
			} else {
				results = append(results, &scan.Result{Target: t, Err: fmt.Errorf("no record of it in %s", strings.Join(files, ", "))})
			}
		}
	}
	if len(results) == 0 {
		if len(named) > 0 {
			return nil, &exitError{exitFailure, errors.New("no target of this shard to judge")}
		}
		return nil, &exitError{exitFailure, fmt.Errorf("no record to judge in %s", strings.Join(files, ", "))}
	}
	return results, nil
}

// readRecords reads one --from file, or standard input for "-".
func (e *env) readRecords(rd *report.Reader, name string, fn func(report.Loaded) error) error {
	if name == "-" {
		return rd.Read(e.stdin, "stdin", fn)
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot read results: %w", err)
	}
	defer f.Close()
	return rd.Read(f, name, fn)
}

// withoutKeys makes a scan's result what a probe of the same server
// would have read: its hello, one connection, and none of what failed
// after the hello (a key type that could not be retrieved).
func withoutKeys(r *scan.Result) {
	if r.Hello == nil || r.Hello.KexInit == nil {
		return
	}
	r.Keys, r.NotRetrieved, r.Err = nil, nil, nil
	r.Connections = min(r.Connections, 1)
}
