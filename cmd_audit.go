package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
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
touching no network. Exit 1 when anything is rated fail (--fail-on
unknown adds names the table does not know; --fail-on warn adds warnings
and unknown names).

Policies (--policy) are built in (` + strings.Join(audit.BuiltinPolicies(), ", ") + `) or read from a
file in sshpin's format or ssh-audit's.

Examples:
  sshpin audit 192.0.2.10
  sshpin audit --fail-on warn --policy strict -f fleet.txt
  sshpin audit --json --no-keys 192.0.2.10:2222
  sshpin audit --from fleet.jsonl              # scanned elsewhere, in shards`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "fail-on", Value: "fail", Usage: "exit 1 on findings this bad or worse: fail, unknown (also names nobody rated), warn (also unknown)"},
			&cli.StringFlag{Name: "policy", Usage: "check against a built-in policy `NAME` or a policy FILE"},
			&cli.BoolFlag{Name: "no-keys", Usage: "rate the KEXINIT only, without collecting host keys"},
			&cli.BoolFlag{Name: "nist-fail", Usage: "rate NIST curves (ecdh-sha2-nistp*, ecdsa) fail, as ssh-audit does"},
			&cli.BoolFlag{Name: "require-pq", Usage: "rate a server without a post-quantum key exchange fail"},
			&cli.BoolFlag{Name: "legacy", Usage: "collect keys with SHA-1/CBC algorithms too (old servers)"},
			&cli.BoolFlag{Name: "no-gex", Usage: "do not measure the group-exchange moduli (saves up to two connections)"},
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
	if err != nil || (threshold != audit.Fail && threshold != audit.Warn && threshold != audit.Unknown) {
		return &usageError{msg: fmt.Sprintf("--fail-on %q: want fail, unknown or warn", cmd.String("fail-on"))}
	}
	policy, err := e.loadPolicy(cmd.String("policy"))
	if err != nil {
		return err
	}
	var results []*scan.Result
	groups := &groupResults{m: map[*scan.Result]*audit.GroupExchange{}}
	gexSkipped := ""
	switch {
	case from:
		mode := fromAudit
		if cmd.Bool("no-keys") {
			mode = fromNoKeys
		}
		if results, err = e.fromResults(ctx, cmd, mode); err != nil {
			return err
		}
		gexSkipped = "read from a file: group exchange is measured only on a live server"
	default:
		noGEX := cmd.Bool("no-gex")
		if noGEX {
			gexSkipped = "not asked for"
		}
		results = e.collect(ctx, cmd, targets, func(ctx context.Context, t target.Target) *scan.Result {
			if cmd.Bool("no-keys") {
				return groups.probe(ctx, t, opts, noGEX)
			}
			r := scan.Scan(ctx, t, opts)
			if !noGEX {
				groups.measure(ctx, r, nil, opts)
			}
			return r
		}, nil)
	}
	aopts := audit.Options{NISTCurvesFail: cmd.Bool("nist-fail"), RequirePostQuantum: cmd.Bool("require-pq")}
	clones := report.SameKeys(results)
	findings, policyFailed, unchecked := false, false, false
	for i, r := range results {
		if r == nil {
			continue
		}
		a := &report.AuditResult{Scan: r, Clones: clones[i]}
		if r.Hello != nil && r.Hello.KexInit != nil {
			srv := &audit.Server{KexInit: r.Hello.KexInit, Banner: r.Hello.Banner.Raw, Keys: report.AuditKeys(r),
				KeysCollected: !cmd.Bool("no-keys"), GEX: groups.get(r)}
			if srv.GEX == nil && gexSkipped != "" && len(kexinit.OfferedGEX(r.Hello.KexInit)) > 0 {
				srv.GEX = &audit.GroupExchange{Algorithms: kexinit.OfferedGEX(r.Hello.KexInit), Skipped: gexSkipped}
			}
			a.Report = audit.AuditServer(srv, aopts)
			if policy != nil {
				a.Policy = policy.CheckServer(srv)
				v := policy.Verdict(a.Policy)
				a.Verdict = &v
				switch v.Result {
				case audit.PolicyFailed:
					policyFailed = true
				case audit.PolicyNotChecked:
					unchecked = true
				}
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
	if ctx.Err() == nil && unchecked {
		// Said whatever the exit status: an item nobody checked must not
		// pass for one that held.
		e.warnf("policy %s could not be checked in full", policy.Label())
		e.hintf("collect the keys (without --no-keys; --legacy for SHA-1-only types) and measure group exchange (without --no-gex) to check every item")
	}
	if ctx.Err() == nil && findings {
		return &exitError{exitFindings, fmt.Errorf("findings rated %s or worse", threshold)}
	}
	if ctx.Err() == nil && policyFailed {
		return &exitError{exitFindings, fmt.Errorf("policy %s failed", policy.Label())}
	}
	if ctx.Err() == nil && unchecked {
		return &exitError{code: exitFailure}
	}
	return outcome(ctx, results)
}

// groupResults holds the group-exchange measures of a run, by result:
// targets are audited concurrently.
type groupResults struct {
	mu sync.Mutex
	m  map[*scan.Result]*audit.GroupExchange
}

func (g *groupResults) get(r *scan.Result) *audit.GroupExchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.m[r]
}

// probe is scan.Probe whose one connection also asks for a modern group
// when the server offers group exchange (the probe's KEXINIT puts it
// first), then measures the smallest group on one more connection.
func (g *groupResults) probe(ctx context.Context, t target.Target, opts scan.Options, noGEX bool) *scan.Result {
	if noGEX {
		return scan.Probe(ctx, t, opts)
	}
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	r := &scan.Result{Target: t}
	conn, err := kexinit.Dial(pctx, t.Host, t.Port)
	if err != nil {
		r.Err = err
		return r
	}
	r.Connections = 1
	r.Address = kexinit.AddrOf(conn)
	h, m, err := kexinit.ProbeGroup(conn, opts.Limits, kexinit.ModernRequest)
	conn.Close()
	r.Hello, r.Err = h, err
	if err == nil {
		g.measure(ctx, r, m, opts)
	}
	return r
}

// measure completes the group-exchange measures of r within one more
// timeout, at the run's pace, and counts the connections they took.
func (g *groupResults) measure(ctx context.Context, r *scan.Result, modern *kexinit.GroupMeasure, opts scan.Options) {
	if r.Hello == nil || r.Hello.KexInit == nil || len(kexinit.OfferedGEX(r.Hello.KexInit)) == 0 || ctx.Err() != nil {
		return
	}
	mctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	wait := func() error {
		if opts.Pace <= 0 {
			return nil
		}
		tm := time.NewTimer(opts.Pace)
		defer tm.Stop()
		select {
		case <-tm.C:
			return nil
		case <-mctx.Done():
			return mctx.Err()
		}
	}
	addr := r.Address
	if addr == "" {
		addr = r.Target.Host
	}
	gx := kexinit.MeasureGroups(mctx, addr, r.Target.Port, r.Hello.KexInit, modern, opts.Limits, wait)
	if gx == nil {
		return
	}
	r.Connections += gx.Connections
	g.mu.Lock()
	g.m[r] = audit.NewGroupExchange(gx)
	g.mu.Unlock()
}

// refusedRSA finds, once per target, whether the RSA host key an x/crypto
// profile would verify has an exponent x/crypto refuses: the algorithm
// lists agree, and the handshake still fails. It costs one connection, only
// when an x/crypto profile negotiates an RSA host key.
type refusedRSA struct {
	done bool
	err  *scan.RefusedKeyError
}

func (f *refusedRSA) check(ctx context.Context, r *scan.Result, p negotiate.Profile, n *negotiate.Result, opts scan.Options) {
	alg := n.Chosen(negotiate.SlotHostKey)
	if !n.OK || !strings.HasPrefix(p.Name, "xcrypto") || audit.KeyType(alg) != "ssh-rsa" {
		return
	}
	if !f.done {
		f.done = true
		cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		addr := r.Address
		if addr == "" {
			addr = r.Target.Host
		}
		if conn, err := kexinit.Dial(cctx, addr, r.Target.Port); err == nil {
			r.Connections++
			if blob, err := kexinit.ReadHostKey(conn, r.Hello.KexInit, alg, opts.Limits); err == nil {
				f.err = scan.RefusedKey(blob)
			}
			conn.Close()
		}
	}
	if f.err == nil {
		return
	}
	n.OK = false
	n.Failures = append(n.Failures, negotiate.Failure{
		Slot: negotiate.SlotHostKey, Category: audit.HostKeyAlg,
		Reason: "the lists agree on " + alg + ", but " + f.err.Error(),
		Client: p.HostKeyAlgos, Server: r.Hello.KexInit.ServerHostKeyAlgos,
		ClientFix: "no x/crypto option accepts it: negotiate another host key type (HostKeyAlgorithms without the RSA names) if the server has one",
		ServerFix: "give the server a key x/crypto can parse: ssh-keygen -t ed25519 -f /etc/ssh/ssh_host_ed25519_key, then HostKey /etc/ssh/ssh_host_ed25519_key",
	})
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
	var pinned *knownhosts.Set
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
				m, err := pinned.Lookup(r.Target.Host, r.Target.Port)
				if err != nil {
					return &exitError{exitFailure, err}
				}
				types = m.Types()
				if len(types) == 0 {
					e.warnf("%s: nothing pinned for it in %s", r.Target, cmd.String("pinned"))
				}
			}
			refused := refusedRSA{}
			for _, p := range profiles {
				n := negotiate.Negotiate(r.Hello.KexInit, p)
				refused.check(ctx, r, p, n, opts)
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
