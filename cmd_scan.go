package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

func (e *env) probeCommand() *cli.Command {
	return &cli.Command{
		Name:      "probe",
		Usage:     "read servers' banners and KEXINIT over a raw socket, with no key exchange",
		ArgsUsage: "TARGET...",
		Description: `probe connects, sends its version line and a KEXINIT at once (some
servers wait for the client's), and prints the server's version line,
every algorithm name-list of its KEXINIT in the server's order, and its
hasshServer fingerprint. No key exchange happens, so it works on servers
no client can negotiate with. One TCP connection per target.

Examples:
  sshpin probe github.com
  sshpin probe --json 192.0.2.10:2222 '[2001:db8::1]:22'
  sshpin probe -f hosts.txt --timeout 3s`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			return e.runTargets(ctx, cmd, false, scan.Probe)
		},
	}
}

func (e *env) scanCommand() *cli.Command {
	return &cli.Command{
		Name:      "scan",
		Usage:     "collect every host key through real key exchanges, one per key type",
		ArgsUsage: "TARGET...",
		Description: `scan completes one key exchange per host key type the server offers
(all RSA signature algorithms once; each ECDSA curve; ed25519; host
certificates) and records each key the server proved it holds. It stops
before authentication: no user name or credential is ever sent. The first
key exchange also reads the server's KEXINIT, so a server costs as many
TCP connections as it has key types.

Examples:
  sshpin scan github.com
  sshpin scan --known-hosts 192.0.2.10:2222 >> host.keys
  sshpin scan --known-hosts --hash -f hosts.txt
  sshpin scan --legacy old-router.example
  sshpin scan --tls files.example:8443 > files.pins   # for sftp --tls --pinned-cert`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "known-hosts", Usage: "print the lines ssh-keyscan prints, instead of a table"},
			&cli.BoolFlag{Name: "hash", Usage: "with --known-hosts: hash host names like ssh-keyscan -H"},
			&cli.BoolFlag{Name: "legacy", Usage: "also speak the SHA-1 and CBC algorithms x/crypto still has, to read old servers' keys"},
			&cli.BoolFlag{Name: "tls", Usage: "the targets are TLS servers: print each certificate's fingerprints and subject, as a pin file for sftp --pinned-cert"},
			&cli.StringFlag{Name: "tls-name", Usage: "with --tls: the `NAME` sent in SNI (default: the target's host)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("tls") {
				return e.runTLSScan(ctx, cmd)
			}
			if cmd.Bool("hash") && !cmd.Bool("known-hosts") {
				return &usageError{msg: "--hash goes with --known-hosts", hint: "sshpin scan --known-hosts --hash TARGET"}
			}
			if cmd.Bool("known-hosts") && (cmd.Bool("json") || cmd.IsSet("format")) {
				return &usageError{msg: "--known-hosts is an output of its own: it goes with neither --json nor --format"}
			}
			if cmd.Bool("legacy") {
				e.warnf("warning: --legacy enables diffie-hellman-group1/group14-sha1, 3des-cbc, aes128-cbc, hmac-sha1, ssh-rsa and ssh-dss; keys are still proved, but a server that needs them needs fixing")
			}
			return e.runTargets(ctx, cmd, true, scan.Scan)
		},
	}
}

// targetList parses the command line's targets and names its -f files;
// a run with neither targets nor -f is a usage error.
func (e *env) targetList(cmd *cli.Command) (*target.List, error) {
	l := &target.List{Files: cmd.StringSlice("file"), Stdin: e.stdin}
	for _, a := range cmd.Args().Slice() {
		t, err := target.Parse(a)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		l.Targets = append(l.Targets, t)
	}
	if len(l.Targets) == 0 && len(l.Files) == 0 {
		return nil, noTargets(cmd)
	}
	return l, nil
}

func noTargets(cmd *cli.Command) error {
	return &usageError{msg: "no target given", hint: fmt.Sprintf("sshpin %s HOST[:PORT]... or -f FILE", cmd.Name)}
}

// gatherTargets reads every target into memory, for the commands that
// judge a run as a whole (audit, pin, check): they hold every result
// anyway, and a malformed line fails before anything runs.
func (e *env) gatherTargets(cmd *cli.Command) ([]target.Target, error) {
	l, err := e.targetList(cmd)
	if err != nil {
		return nil, err
	}
	out, err := l.All()
	if err != nil {
		return nil, &exitError{exitFailure, err}
	}
	e.sayMerged(l.Merged())
	if len(out) == 0 {
		return nil, noTargets(cmd)
	}
	return out, nil
}

type targetFunc func(context.Context, target.Target, scan.Options) *scan.Result

// targetsAndOptions reads what every network command starts from.
func (e *env) targetsAndOptions(cmd *cli.Command) ([]target.Target, scan.Options, error) {
	targets, err := e.gatherTargets(cmd)
	if err != nil {
		return nil, scan.Options{}, err
	}
	opts, err := scanOptions(cmd)
	return targets, opts, err
}

// scanOptions reads the flags every network command shares, and checks
// those the run reads later (--shard, --concurrency) so that a bad value
// is a usage error before any work.
// legacyHint is what scan adds to a reason only --legacy would lift.
const legacyHint = "rerun with --legacy"

func scanOptions(cmd *cli.Command) (scan.Options, error) {
	opts := scan.Options{Timeout: cmd.Duration("timeout"), Legacy: cmd.Bool("legacy"), Pace: cmd.Duration("pace"), LegacyHint: legacyHint}
	if opts.Timeout <= 0 {
		return opts, &usageError{msg: "--timeout must be positive"}
	}
	if opts.Pace < 0 {
		return opts, &usageError{msg: "--pace must not be negative"}
	}
	if cmd.Int("concurrency") < 1 {
		return opts, &usageError{msg: "--concurrency must be at least 1"}
	}
	if _, err := shardOf(cmd); err != nil {
		return opts, err
	}
	return opts, nil
}

// shardOf is --shard; a malformed one is a usage error.
func shardOf(cmd *cli.Command) (target.Shard, error) {
	s, err := target.ParseShard(cmd.String("shard"))
	var se *target.ShardError
	if errors.As(err, &se) {
		return s, &usageError{msg: fmt.Sprintf("--shard %q: want I/N with 1 <= I <= N", se.Input), hint: "--shard 2/4 runs the second quarter of the list"}
	}
	return s, err
}

// concurrency is --concurrency, capped to the open-file limit
// (scan.FitConcurrency), with a warning when it was.
func (e *env) concurrency(cmd *cli.Command) int {
	n, err := scan.FitConcurrency(int(cmd.Int("concurrency")))
	var ce *scan.CapError
	if errors.As(err, &ce) {
		e.warnf("--concurrency %d capped to %d: the open-file limit is %d (raise it with ulimit -n)", ce.Want, ce.Got, ce.Limit)
	}
	return n
}

// tally counts a run's results, for its exit status.
type tally struct {
	done, failed int
	total        int // -1 until known
}

// outcome maps a run to its exit: interrupted, else failed targets.
func (t tally) outcome(ctx context.Context) error {
	if ctx.Err() != nil {
		if t.total < 0 {
			return &exitError{exitInterrupted, fmt.Errorf("interrupted: %s done", report.Plural(t.done, "target"))}
		}
		return &exitError{exitInterrupted, fmt.Errorf("interrupted: %d of %s done", t.done, report.Plural(t.total, "target"))}
	}
	if t.failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("%d of %s failed", t.failed, report.Plural(t.total, "target"))}
	}
	return nil
}

// outcome is tally.outcome for a run whose results are held, nil for the
// targets an interrupt left undone.
func outcome(ctx context.Context, results []*scan.Result) error {
	t := tally{total: len(results)}
	for _, r := range results {
		if r != nil {
			t.done++
			if r.Err != nil {
				t.failed++
			}
		}
	}
	return t.outcome(ctx)
}

// stream works through src with the run's concurrency, showing progress
// on a terminal, and calls emit with each result as it comes in. total is
// the number of targets src holds, or -1 when it is not known yet.
func (e *env) stream(ctx context.Context, cmd *cli.Command, src scan.Source, total int,
	do func(context.Context, target.Target) *scan.Result, emit func(i int, r *scan.Result)) (tally, error) {
	n := e.concurrency(cmd)
	t := tally{total: total}
	if p := e.startProgress(total); p != nil {
		// Warnings written during the run go through the progress line,
		// which clears itself first and comes back after.
		stderr := e.stderr
		e.stderr = p
		defer func() { p.Close(); e.stderr = stderr }()
		inner := emit
		emit = func(i int, r *scan.Result) {
			inner(i, r)
			p.Add(r.Err != nil)
		}
	}
	dropped := 0
	err := scan.Stream(ctx, src, scan.Flow{Max: n}, do, func(i int, r *scan.Result) {
		t.done++
		if r.Err != nil {
			t.failed++
			switch kexinit.KindOf(r.Err) {
			case kexinit.KindClosed, kexinit.KindDisconnect:
				dropped++
			}
		}
		emit(i, r)
	})
	if dropped > 0 && ctx.Err() == nil {
		// sshd's MaxStartups and PerSourcePenalties drop connections
		// from a source that opens too many: the cure is on this side.
		e.hintf("%s closed the connection early; a server that drops connections under load is spared by --pace 1s or a lower --concurrency (now %d)",
			report.Plural(dropped, "target"), n)
	}
	return t, err
}

// collect works through targets (this --shard's share of them) and returns
// their results in input order; a target not reached before an interrupt
// is nil. each, if set, is called as results come in.
func (e *env) collect(ctx context.Context, cmd *cli.Command, targets []target.Target, do func(context.Context, target.Target) *scan.Result, each func(*scan.Result)) []*scan.Result {
	s, _ := shardOf(cmd) // checked by scanOptions
	mine := s.Of(targets)
	results := make([]*scan.Result, len(mine))
	e.stream(ctx, cmd, scan.Slice(mine), len(mine), do, func(i int, r *scan.Result) {
		results[i] = r
		if each != nil {
			each(r)
		}
	})
	return results
}

func nonNil(results []*scan.Result) []*scan.Result {
	var out []*scan.Result
	for _, r := range results {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// runTargets runs probe or scan over a streamed list and renders as the
// output format wants: JSON and known_hosts lines go out as results come
// in; probe tables go out in input order as soon as every earlier target
// is done; the scan table, one table for the whole run, waits for all.
func (e *env) runTargets(ctx context.Context, cmd *cli.Command, withKeys bool, do targetFunc) error {
	list, err := e.targetList(cmd)
	if err != nil {
		return err
	}
	opts, err := scanOptions(cmd)
	if err != nil {
		return err
	}
	s, _ := shardOf(cmd)
	all, mine, known, err := list.Count(s)
	if err != nil {
		return &exitError{exitFailure, err}
	}
	if known && all == 0 {
		return noTargets(cmd)
	}
	total := -1
	if known {
		total = mine
	}

	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	jsonOut, khOut := format == report.FormatJSON, cmd.Bool("known-hosts")
	var werr error
	var held []*scan.Result // the scan table's results, in input order
	pending := map[int]*scan.Result{}
	next := 0 // the probe table's next target to print
	var read atomic.Int64
	t, srcErr := e.stream(ctx, cmd, list.Stream(s, &read), total,
		func(ctx context.Context, t target.Target) *scan.Result { return do(ctx, t, opts) },
		func(i int, r *scan.Result) {
			switch {
			case jsonOut:
				werr = firstErr(werr, report.WriteJSON(e.stdout, results.NewRecord(r, withKeys)))
			case withKeys && format == report.FormatPlain:
				werr = firstErr(werr, report.ScanPlain(e.stdout, []*scan.Result{r}))
			case khOut:
				werr = firstErr(werr, report.WriteKnownHosts(e.stdout, r, cmd.Bool("hash")))
				// Each reason once: a result that failed for want of the
				// keys it lists as not retrieved says so in those lines.
				if r.Err != nil && !notRetrievedSaysIt(r) {
					e.warnf("%s: %s", r.Target.String(), scan.Describe(r.Err))
				}
				for _, n := range r.NotRetrieved {
					e.warnf("%s: %s key not retrieved: %s", r.Target.String(), n.Type, n.Reason)
				}
			case withKeys:
				for len(held) <= i {
					held = append(held, nil)
				}
				held[i] = r
			default:
				pending[i] = r
				for pending[next] != nil {
					werr = firstErr(werr, probeOut(e.stdout, format, pending[next]))
					delete(pending, next)
					next++
				}
			}
		})
	// What an interrupt left behind a gap, still in input order.
	for _, i := range slices.Sorted(maps.Keys(pending)) {
		werr = firstErr(werr, probeOut(e.stdout, format, pending[i]))
	}
	if withKeys && !jsonOut && !khOut {
		switch format {
		case report.FormatTable:
			werr = firstErr(werr, report.ScanTable(e.stdout, nonNil(held)))
		case report.FormatMarkdown:
			werr = firstErr(werr, report.ScanMarkdown(e.stdout, nonNil(held)))
		}
	}
	if werr != nil {
		return &exitError{exitFailure, fmt.Errorf("writing output: %w", werr)}
	}
	if ctx.Err() != nil {
		return t.outcome(ctx)
	}
	if srcErr != nil {
		return &exitError{exitFailure, srcErr}
	}
	if read.Load() == 0 {
		return noTargets(cmd)
	}
	e.sayMerged(list.Merged())
	if t.total < 0 {
		t.total = t.done
	}
	return t.outcome(ctx)
}

func (e *env) sayMerged(n int) {
	if n > 0 {
		e.warnf("%s merged: each target is worked on once", report.Plural(n, "duplicate target"))
	}
}

// notRetrievedSaysIt reports whether r's error is only the sum of its
// not-retrieved key types, which are reported one by one.
func notRetrievedSaysIt(r *scan.Result) bool {
	var nk *scan.NoKeyError
	var ie *scan.IncompleteError
	return len(r.NotRetrieved) > 0 && (errors.As(r.Err, &nk) || errors.As(r.Err, &ie))
}

// probeOut renders one probe in a human format.
func probeOut(w io.Writer, f report.Format, r *scan.Result) error {
	switch f {
	case report.FormatPlain:
		return report.ProbePlain(w, r)
	case report.FormatMarkdown:
		return report.ProbeMarkdown(w, r)
	}
	return report.ProbeTable(w, r)
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
