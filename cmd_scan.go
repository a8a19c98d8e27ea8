package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v3"

	"sshpin/report"
	"sshpin/scan"
	"sshpin/target"
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
  sshpin scan --legacy old-router.example`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "known-hosts", Usage: "print the lines ssh-keyscan prints, instead of a table"},
			&cli.BoolFlag{Name: "hash", Usage: "with --known-hosts: hash host names like ssh-keyscan -H"},
			&cli.BoolFlag{Name: "legacy", Usage: "also speak the SHA-1 and CBC algorithms x/crypto still has, to read old servers' keys"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Bool("hash") && !cmd.Bool("known-hosts") {
				return &usageError{msg: "--hash goes with --known-hosts", hint: "sshpin scan --known-hosts --hash TARGET"}
			}
			if cmd.Bool("known-hosts") && cmd.Bool("json") {
				return &usageError{msg: "--known-hosts and --json are two different outputs: choose one"}
			}
			if cmd.Bool("legacy") {
				e.warnf("warning: --legacy enables diffie-hellman-group1/group14-sha1, 3des-cbc, aes128-cbc, hmac-sha1, ssh-rsa and ssh-dss; keys are still proved, but a server that needs them needs fixing")
			}
			return e.runTargets(ctx, cmd, true, scan.Scan)
		},
	}
}

// gatherTargets reads the command line's targets, then -f files, in order.
func (e *env) gatherTargets(cmd *cli.Command) ([]target.Target, error) {
	var out []target.Target
	for _, a := range cmd.Args().Slice() {
		t, err := target.Parse(a)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		out = append(out, t)
	}
	for _, f := range cmd.StringSlice("file") {
		ts, err := e.readTargetFile(f)
		if err != nil {
			return nil, &exitError{exitFailure, err}
		}
		out = append(out, ts...)
	}
	if len(out) == 0 {
		return nil, &usageError{msg: "no target given", hint: fmt.Sprintf("sshpin %s HOST[:PORT]... or -f FILE", cmd.Name)}
	}
	return out, nil
}

func (e *env) readTargetFile(name string) ([]target.Target, error) {
	if name == "-" {
		return target.ReadList(e.stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read targets: %w", err)
	}
	defer f.Close()
	return target.ReadList(f, name)
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

// scanOptions reads the flags every network command shares.
func scanOptions(cmd *cli.Command) (scan.Options, error) {
	opts := scan.Options{Timeout: cmd.Duration("timeout"), Legacy: cmd.Bool("legacy")}
	if opts.Timeout <= 0 {
		return opts, &usageError{msg: "--timeout must be positive"}
	}
	if cmd.Int("concurrency") < 1 {
		return opts, &usageError{msg: "--concurrency must be at least 1"}
	}
	return opts, nil
}

// collect works through targets with bounded concurrency, calling each (if
// set) as results come in, and returns them in input order; a target not
// reached before an interrupt is nil.
func collect(ctx context.Context, cmd *cli.Command, targets []target.Target, do func(context.Context, target.Target) *scan.Result, each func(*scan.Result)) []*scan.Result {
	results := make([]*scan.Result, len(targets))
	scan.Run(ctx, targets, int(cmd.Int("concurrency")), do, func(i int, r *scan.Result) {
		results[i] = r
		if each != nil {
			each(r)
		}
	})
	return results
}

// outcome maps a run to its exit: interrupted, else failed targets.
func outcome(ctx context.Context, results []*scan.Result) error {
	done, failed := 0, 0
	for _, r := range results {
		if r != nil {
			done++
			if r.Err != nil {
				failed++
			}
		}
	}
	if ctx.Err() != nil {
		return &exitError{exitInterrupted, fmt.Errorf("interrupted: %d of %d targets done", done, len(results))}
	}
	if failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("%d of %d targets failed", failed, len(results))}
	}
	return nil
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

// runTargets runs probe or scan and renders as the output format wants:
// JSON and known_hosts lines stream as results come in; the table waits for
// all and keeps the input order.
func (e *env) runTargets(ctx context.Context, cmd *cli.Command, withKeys bool, do targetFunc) error {
	targets, opts, err := e.targetsAndOptions(cmd)
	if err != nil {
		return err
	}
	var werr error
	results := collect(ctx, cmd, targets,
		func(ctx context.Context, t target.Target) *scan.Result { return do(ctx, t, opts) },
		func(r *scan.Result) {
			switch {
			case cmd.Bool("json"):
				werr = firstErr(werr, report.WriteJSON(e.stdout, report.NewRecord(r, withKeys)))
			case cmd.Bool("known-hosts"):
				werr = firstErr(werr, report.WriteKnownHosts(e.stdout, r, cmd.Bool("hash")))
				if r.Err != nil {
					e.warnf("%s: %s", r.Target.String(), scan.Describe(r.Err))
				}
				for _, n := range r.NotRetrieved {
					e.warnf("%s: %s key not retrieved: %s", r.Target.String(), n.Type, n.Reason)
				}
			}
		})
	if !cmd.Bool("json") && !cmd.Bool("known-hosts") {
		if withKeys {
			werr = firstErr(werr, report.ScanTable(e.stdout, nonNil(results)))
		} else {
			for _, r := range nonNil(results) {
				werr = firstErr(werr, report.ProbeTable(e.stdout, r))
			}
		}
	}
	if werr != nil {
		return &exitError{exitFailure, fmt.Errorf("writing output: %w", werr)}
	}
	return outcome(ctx, results)
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
