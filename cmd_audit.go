package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/negotiate"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

func (e *env) auditCommand() *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "rate every algorithm and host key a server offers; Terrapin; post-quantum readiness",
		ArgsUsage: "TARGET... | --from FILE [TARGET...]",
		Description: `audit rates each algorithm in the server's KEXINIT (fail / warn / ok /
info, with the reason), each host key's type and size (RSA < 2048 fail,
< 3072 warn; DSA fail), the server's Terrapin (CVE-2023-48795) exposure
and post-quantum readiness, host keys shared by several targets of the run
(cloned images), and prints the sshd_config lines that would fix what
failed. It scans for the keys; --no-keys rates the KEXINIT alone (one
connection). With --from it rates what sshpin scan --json wrote instead,
touching no network. Exit 1 when anything is rated fail (--fail-on warn
tightens it).

Policies (--policy) are built in (` + strings.Join(audit.BuiltinPolicies(), ", ") + `) or read from a
file in sshpin's format or ssh-audit's.

Examples:
  sshpin audit 192.0.2.10
  sshpin audit --fail-on warn --policy strict -f fleet.txt
  sshpin audit --json --no-keys 192.0.2.10:2222
  sshpin audit --from fleet.jsonl              # scanned elsewhere, in shards`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "fail-on", Value: "fail", Usage: "exit 1 on findings this bad or worse: fail, warn"},
			&cli.StringFlag{Name: "policy", Usage: "check against a built-in policy `NAME` or a policy FILE"},
			&cli.BoolFlag{Name: "no-keys", Usage: "rate the KEXINIT only, without collecting host keys"},
			&cli.BoolFlag{Name: "nist-fail", Usage: "rate NIST curves (ecdh-sha2-nistp*, ecdsa) fail, as ssh-audit does"},
			&cli.BoolFlag{Name: "require-pq", Usage: "rate a server without a post-quantum key exchange fail"},
			&cli.BoolFlag{Name: "legacy", Usage: "collect keys with SHA-1/CBC algorithms too (old servers)"},
			fromFlag(),
		},
		Action: e.runAudit,
	}
}

func (e *env) loadPolicy(name string) (*audit.Policy, error) {
	if name == "" {
		return nil, nil
	}
	if p, err := audit.BuiltinPolicy(name); err == nil {
		return p, nil
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(name, "/.") {
			return nil, &usageError{msg: fmt.Sprintf("no policy %q", name), hint: "built-in policies: " + strings.Join(audit.BuiltinPolicies(), ", ") + "; or give a file"}
		}
		return nil, &exitError{exitFailure, fmt.Errorf("cannot read policy: %w", err)}
	}
	defer f.Close()
	p, err := audit.ParsePolicy(f)
	if err != nil {
		return nil, &exitError{exitFailure, fmt.Errorf("%s: %w", name, err)}
	}
	return p, nil
}

func (e *env) runAudit(ctx context.Context, cmd *cli.Command) error {
	from := len(cmd.StringSlice("from")) > 0
	var targets []target.Target
	var opts scan.Options
	var err error
	if !from {
		if targets, opts, err = e.targetsAndOptions(cmd); err != nil {
			return err
		}
	}
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	threshold, err := audit.ParseSeverity(cmd.String("fail-on"))
	if err != nil || (threshold != audit.Fail && threshold != audit.Warn) {
		return &usageError{msg: fmt.Sprintf("--fail-on %q: want fail or warn", cmd.String("fail-on"))}
	}
	policy, err := e.loadPolicy(cmd.String("policy"))
	if err != nil {
		return err
	}
	var results []*scan.Result
	switch {
	case from:
		mode := fromAudit
		if cmd.Bool("no-keys") {
			mode = fromNoKeys
		}
		if results, err = e.fromResults(ctx, cmd, mode); err != nil {
			return err
		}
	default:
		do := scan.Scan
		if cmd.Bool("no-keys") {
			do = scan.Probe
		}
		results = e.collect(ctx, cmd, targets, func(ctx context.Context, t target.Target) *scan.Result { return do(ctx, t, opts) }, nil)
	}
	aopts := audit.Options{NISTCurvesFail: cmd.Bool("nist-fail"), RequirePostQuantum: cmd.Bool("require-pq")}
	clones := report.SameKeys(results)
	findings := false
	for i, r := range results {
		if r == nil {
			continue
		}
		a := &report.AuditResult{Scan: r, Clones: clones[i]}
		if r.Hello != nil && r.Hello.KexInit != nil {
			keys := report.HostKeys(r.Keys)
			a.Report = audit.Audit(r.Hello.KexInit, keys, aopts)
			if policy != nil {
				a.Policy = policy.Check(r.Hello.KexInit, keys)
			}
		}
		if w := a.Worst(); w != "" && w.AtLeast(threshold) {
			findings = true
		}
		switch format {
		case report.FormatJSON:
			err = report.WriteJSON(e.stdout, report.NewAuditRecord(a))
		case report.FormatPlain:
			err = report.AuditPlain(e.stdout, a)
		case report.FormatMarkdown:
			err = report.AuditMarkdown(e.stdout, a)
		default:
			err = report.AuditTable(e.stdout, a)
		}
		if err != nil {
			return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
		}
	}
	if ctx.Err() == nil && findings {
		return &exitError{exitFindings, fmt.Errorf("findings rated %s or worse", threshold)}
	}
	return outcome(ctx, results)
}

func (e *env) diagnoseCommand() *cli.Command {
	return &cli.Command{
		Name:      "diagnose",
		Usage:     "explain why a client and a server cannot agree, and the exact option that fixes it",
		ArgsUsage: "TARGET...",
		Description: `diagnose reads the server's KEXINIT over a raw socket (no key exchange,
so it works exactly when no client can connect) and simulates RFC 4253
§7.1 negotiation against client profiles: for each category it names the
algorithm that would be chosen, or says "no common algorithm" with both
lists, the client option that would fix it, and the sshd_config line.
With --pinned FILE it also catches the Go pitfall of golang/go#29286: a
client that negotiates a host key type the file does not pin fails the
check as a "mismatch" although the pinned key is fine; diagnose prints the
HostKeyAlgorithms to set. Exit 1 when a profile cannot connect or would
hit that pitfall.

Client profiles (--client, repeatable, or "all"):
  ` + strings.Join(negotiate.ProfileNames(), ", ") + `

Examples:
  sshpin diagnose old-router.example
  sshpin diagnose --client openssh-7.4 --client paramiko-5 192.0.2.10
  sshpin diagnose --client all --json 192.0.2.10:2222`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "client", Usage: "client `PROFILE` to simulate (default: xcrypto, this binary's own client)"},
			&cli.StringFlag{Name: "pinned", Usage: "also check that each client would pick a host key type pinned in `FILE` (golang/go#29286)", TakesFile: true},
		},
		Action: e.runDiagnose,
	}
}

func (e *env) runDiagnose(ctx context.Context, cmd *cli.Command) error {
	targets, opts, err := e.targetsAndOptions(cmd)
	if err != nil {
		return err
	}
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	names := cmd.StringSlice("client")
	if len(names) == 0 {
		names = []string{"xcrypto"}
	}
	if len(names) == 1 && names[0] == "all" {
		names = negotiate.ProfileNames()
	}
	var profiles []negotiate.Profile
	for _, n := range names {
		p, ok := negotiate.ProfileByName(n)
		if !ok {
			return &usageError{msg: fmt.Sprintf("no client profile %q", n), hint: "profiles: " + strings.Join(negotiate.ProfileNames(), ", ") + ", or all"}
		}
		profiles = append(profiles, p)
	}
	var pinned []*knownhosts.File
	if cmd.String("pinned") != "" {
		if pinned, _, err = readPinned(cmd, false); err != nil {
			return err
		}
	}
	results := e.collect(ctx, cmd, targets, func(ctx context.Context, t target.Target) *scan.Result { return scan.Probe(ctx, t, opts) }, nil)
	cannot := false
	for _, r := range results {
		if r == nil {
			continue
		}
		d := &report.Diagnosis{Probe: r}
		if r.Err == nil {
			var types []string
			if pinned != nil {
				m, err := lookup(pinned, r.Target)
				if err != nil {
					return &exitError{exitFailure, err}
				}
				types = m.Types()
				if len(types) == 0 {
					e.warnf("%s: nothing pinned for it in %s", r.Target, cmd.String("pinned"))
				}
			}
			for _, p := range profiles {
				n := negotiate.Negotiate(r.Hello.KexInit, p)
				cannot = cannot || !n.OK
				d.Results = append(d.Results, n)
				if pf := negotiate.PinnedPitfall(r.Hello.KexInit, p, types); pf != nil {
					if d.Pitfalls == nil {
						d.Pitfalls = map[string]*negotiate.Pitfall{}
					}
					d.Pitfalls[p.Name] = pf
					cannot = true
				}
			}
		}
		switch format {
		case report.FormatJSON:
			err = report.WriteJSON(e.stdout, report.NewDiagnoseRecord(d))
		case report.FormatPlain:
			err = report.DiagnosePlain(e.stdout, d)
		case report.FormatMarkdown:
			err = report.DiagnoseMarkdown(e.stdout, d)
		default:
			err = report.DiagnoseText(e.stdout, d)
		}
		if err != nil {
			return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
		}
	}
	if ctx.Err() == nil && cannot {
		return &exitError{exitFindings, errors.New("a client profile cannot connect, or would fail the pinned-key check")}
	}
	return outcome(ctx, results)
}
