package main

import (
	"github.com/sshpin/sshpin/check"

	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/baseline"
	"github.com/sshpin/sshpin/internal/atomicfile"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

func (e *env) pinCommand() *cli.Command {
	return &cli.Command{
		Name:      "pin",
		Usage:     "scan servers and write their proved host keys into a pinned known_hosts file",
		ArgsUsage: "TARGET...",
		Description: `pin scans each target (one key exchange per host key type) and merges
the keys the server proved it holds into FILE, in OpenSSH known_hosts
format: new keys are appended, every other line and comment is kept byte
for byte, and a key already pinned (plainly, hashed or by pattern) is not
written twice. A host whose pinned key CHANGED is refused, with the
difference shown, unless --replace is given: that is the machine-in-the-
middle case, and only you can decide it is not. A target that does not
answer writes nothing. The file is written to a temporary file, synced and
renamed into place under a lock, so concurrent pins never lose an entry and
an interrupted one leaves the old file whole.

Examples:
  sshpin pin --pinned host.keys web-1.example db-1.example:2222
  sshpin pin --pinned host.keys --hash -f fleet.txt
  sshpin pin --pinned host.keys --replace web-1.example   # after verifying the new key`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pinned", Usage: "the pinned `FILE` (known_hosts format); created if missing", Required: true, TakesFile: true},
			&cli.BoolFlag{Name: "hash", Usage: "write host names hashed, as ssh-keyscan -H does"},
			&cli.BoolFlag{Name: "replace", Usage: "replace pinned keys that changed (only after verifying them out of band)"},
			&cli.StringFlag{Name: "baseline", Usage: "also record each host's banner, hasshServer and algorithm lists in `FILE`", TakesFile: true},
			&cli.BoolFlag{Name: "legacy", Usage: "collect keys with SHA-1/CBC algorithms too (old servers)"},
		},
		Action: e.runPin,
	}
}

func (e *env) runPin(ctx context.Context, cmd *cli.Command) error {
	targets, opts, err := e.targetsAndOptions(cmd)
	if err != nil {
		return err
	}
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	path := cmd.String("pinned")
	results := e.collect(ctx, cmd, targets, func(ctx context.Context, t target.Target) *scan.Result { return scan.Scan(ctx, t, opts) }, nil)
	if ctx.Err() != nil {
		return outcome(ctx, results) // an interrupted scan pins nothing
	}
	mopts := knownhosts.MergeOptions{Hash: cmd.Bool("hash"), Replace: cmd.Bool("replace")}
	outcomes := make([]pinOutcome, len(results))
	var pins []*knownhosts.HostPin
	for i, r := range results {
		outcomes[i] = pinOutcome{r: r, HostPin: &knownhosts.HostPin{Host: r.Target.Host, Port: r.Target.Port, Keys: plainKeys(r)}}
		// A target whose scan is incomplete writes nothing: pinning part of
		// its keys would make the rest look "new" later, or hide them.
		if r.Err != nil || len(outcomes[i].Keys) == 0 {
			outcomes[i].Status = knownhosts.StatusFailed
			continue
		}
		pins = append(pins, outcomes[i].HostPin)
	}
	// A run that can pin nothing leaves no trace, not even the lock file.
	if err := knownhosts.Pin(path, pins, mopts); err != nil {
		return &exitError{exitFailure, fmt.Errorf("cannot update %s: %w", path, err)}
	}
	refused, failed := 0, 0
	var pinned []*scan.Result
	var md strings.Builder
	if format == report.FormatMarkdown {
		md.WriteString("| target | status | type | fingerprint | note |\n|---|---|---|---|---|\n")
	}
	for _, o := range outcomes {
		switch o.Status {
		case knownhosts.StatusRefused:
			refused++
		case knownhosts.StatusFailed:
			failed++
		default:
			pinned = append(pinned, o.r)
		}
		switch format {
		case report.FormatJSON:
			err = report.WriteJSON(e.stdout, o.record())
		case report.FormatPlain:
			for _, l := range o.plain() {
				if _, err = fmt.Fprintln(e.stdout, strings.Join(l, " ")); err != nil {
					break
				}
			}
		case report.FormatMarkdown:
			for _, l := range o.plain() {
				fmt.Fprintf(&md, "| %s | %s | %s | %s | %s |\n", report.MarkdownCell(l[0]), l[1], report.MarkdownCell(l[2]), report.MarkdownCell(l[3]), report.MarkdownCell(strings.Join(l[4:], " ")))
			}
		default:
			_, err = io.WriteString(e.stdout, report.Wrap(o.text()+"\n", report.WidthOf(e.stdout)))
		}
		if err != nil {
			return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
		}
	}
	if format == report.FormatMarkdown {
		if _, err := io.WriteString(e.stdout, md.String()); err != nil {
			return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
		}
	}
	if bp := cmd.String("baseline"); bp != "" {
		if err := writeBaseline(bp, pinned); err != nil {
			return &exitError{exitFailure, err}
		}
	}
	switch {
	case refused > 0:
		return &exitError{exitFindings, fmt.Errorf("%d of %s refused: a pinned key changed or is revoked", refused, report.Plural(len(results), "host"))}
	case failed > 0:
		return &exitError{exitFailure, fmt.Errorf("%d of %s could not be pinned", failed, report.Plural(len(results), "host"))}
	}
	return nil
}

func plainKeys(r *scan.Result) []ssh.PublicKey {
	var keys []ssh.PublicKey
	for _, k := range r.Keys {
		if k.Cert == nil {
			keys = append(keys, k.Key)
		}
	}
	return keys
}

// pinOutcome is what pin did with one target: its scan, and what
// knownhosts.Pin made of its keys (Status, Change, Reason).
type pinOutcome struct {
	r *scan.Result
	*knownhosts.HostPin
}

// text is several lines; each piece a server or the user chose is made
// safe on its own, so that the line breaks stay line breaks.
func (o *pinOutcome) text() string {
	name := report.Safe(o.r.Target.String())
	switch {
	case o.Status == knownhosts.StatusFailed && o.Reason != "":
		return fmt.Sprintf("%s: not pinned: %s", name, report.Safe(o.Reason))
	case o.Status == knownhosts.StatusFailed && o.r.Err != nil:
		return fmt.Sprintf("%s: not pinned: %s", name, report.Safe(scan.Describe(o.r.Err)))
	case o.Status == knownhosts.StatusFailed:
		return fmt.Sprintf("%s: not pinned: no plain host key", name)
	case o.Status == knownhosts.StatusRefused && o.Change != nil:
		return conflictText(name, o.Change)
	case o.Status == knownhosts.StatusRefused:
		return fmt.Sprintf("%s: REFUSED: %s", name, report.Safe(o.Reason))
	}
	t := pinText(name, o.Change)
	for _, n := range o.r.NotRetrieved {
		t += fmt.Sprintf("\n%s: %s key not pinned: %s", name, report.Safe(n.Type), report.Safe(n.Reason))
	}
	return t
}

// plain is o as lines of fields: target, status, key type, fingerprint,
// then a note as free text; "-" for an empty field.
func (o *pinOutcome) plain() [][]string {
	name := plainName(o.r.Target.String())
	var out [][]string
	add := func(status, typ, fp, note string) {
		out = append(out, []string{name, status, orDash(typ), orDash(fp), report.Safe(note)})
	}
	switch {
	case o.Status == knownhosts.StatusFailed && o.Reason != "":
		add("failed", "", "", o.Reason)
	case o.Status == knownhosts.StatusFailed && o.r.Err != nil:
		add("failed", "", "", scan.Describe(o.r.Err))
	case o.Status == knownhosts.StatusFailed:
		add("failed", "", "", "no plain host key")
	case o.Status == knownhosts.StatusRefused && o.Change == nil:
		add("refused", "", "", o.Reason)
	}
	if o.Change != nil {
		for _, k := range o.Change.Added {
			if o.Status == knownhosts.StatusPinned {
				add("added", k.Type(), ssh.FingerprintSHA256(k), "")
			}
		}
		for _, l := range o.Change.Unchanged {
			add("unchanged", l.Key.Type(), ssh.FingerprintSHA256(l.Key), fmt.Sprintf("line %d", l.Num))
		}
		for _, r := range o.Change.Replaced {
			if r.New == nil {
				continue
			}
			if o.Status == knownhosts.StatusRefused {
				add("refused", r.Old.Key.Type(), ssh.FingerprintSHA256(r.New), fmt.Sprintf("pinned at line %d: %s", r.Old.Num, ssh.FingerprintSHA256(r.Old.Key)))
			} else {
				add("replaced", r.Old.Key.Type(), ssh.FingerprintSHA256(r.Old.Key), fmt.Sprintf("line %d", r.Old.Num))
			}
		}
	}
	for _, n := range o.r.NotRetrieved {
		add("not-retrieved", n.Type, "", n.Reason)
	}
	return out
}

func plainName(s string) string { return strings.ReplaceAll(report.Safe(s), " ", `\x20`) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return report.Safe(s)
}

// pinRecord is pin's JSON line for one target.
type pinRecord struct {
	results.Record
	Status   string   `json:"status"`
	Added    []string `json:"added,omitempty"`    // SHA256 fingerprints written
	Replaced []string `json:"replaced,omitempty"` // SHA256 fingerprints removed by --replace
	Conflict []string `json:"conflict,omitempty"` // "type pinned-fp -> presented-fp"
	Reason   string   `json:"reason,omitempty"`
}

func (o *pinOutcome) record() pinRecord {
	rec := pinRecord{Record: results.NewRecord(o.r, true), Status: string(o.Status), Reason: o.Reason}
	if o.Change != nil {
		for _, k := range o.Change.Added {
			if o.Status == knownhosts.StatusPinned {
				rec.Added = append(rec.Added, ssh.FingerprintSHA256(k))
			}
		}
		for _, r := range o.Change.Replaced {
			if r.New == nil {
				continue
			}
			if o.Status == knownhosts.StatusRefused {
				rec.Conflict = append(rec.Conflict, fmt.Sprintf("%s %s -> %s", r.Old.Key.Type(), ssh.FingerprintSHA256(r.Old.Key), ssh.FingerprintSHA256(r.New)))
			} else {
				rec.Replaced = append(rec.Replaced, ssh.FingerprintSHA256(r.Old.Key))
			}
		}
	}
	return rec
}

// writeBaseline records the hello of every host just pinned.
func writeBaseline(path string, pinned []*scan.Result) error {
	b, err := readBaseline(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = &baseline.File{Name: path}, nil
	}
	if err != nil {
		return err
	}
	for _, r := range pinned {
		if r.Hello != nil && r.Hello.KexInit != nil {
			b.Set(baseline.FromHello(r.Target.String(), r.Hello))
		}
	}
	if err := atomicfile.WriteBytes(path, 0o644, b.Bytes()); err != nil {
		return fmt.Errorf("cannot write baseline: %w", err)
	}
	return nil
}

func readBaseline(path string) (*baseline.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return baseline.Parse(f, path)
}

func pinText(name string, ch *knownhosts.Change) string {
	var b strings.Builder
	// A key that takes a changed key's place is "replaced", not "new":
	// the person who ran --replace should read back what they did.
	replacing := map[string]bool{}
	for _, r := range ch.Replaced {
		if r.New != nil {
			replacing[string(r.New.Marshal())] = true
		}
	}
	fresh := 0
	for _, k := range ch.Added {
		if !replacing[string(k.Marshal())] {
			fresh++
		}
	}
	fmt.Fprintf(&b, "%s: %d new", name, fresh)
	if n := len(ch.Added) - fresh; n > 0 {
		fmt.Fprintf(&b, ", %d replaced", n)
	}
	fmt.Fprintf(&b, ", %d already pinned", len(ch.Unchanged))
	for _, k := range ch.Added {
		if !replacing[string(k.Marshal())] {
			fmt.Fprintf(&b, "\n  + %s %s", k.Type(), ssh.FingerprintSHA256(k))
		}
	}
	for _, r := range ch.Replaced {
		if r.New != nil {
			fmt.Fprintf(&b, "\n  %s replaced (%s):", r.Old.Key.Type(), report.Safe(r.Old.Pos()))
			fmt.Fprintf(&b, "\n    was: %s", ssh.FingerprintSHA256(r.Old.Key))
			fmt.Fprintf(&b, "\n    now: %s", ssh.FingerprintSHA256(r.New))
		}
	}
	return b.String()
}

func conflictText(name string, ch *knownhosts.Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: REFUSED: a pinned key changed; a machine in the middle, or a reinstalled server", name)
	for _, r := range ch.Replaced {
		if r.New == nil {
			continue
		}
		// One fingerprint a line, labelled, so that 80 columns hold them.
		fmt.Fprintf(&b, "\n  %s changed (pinned at %s):", r.Old.Key.Type(), report.Safe(r.Old.Pos()))
		fmt.Fprintf(&b, "\n    pinned:    %s", ssh.FingerprintSHA256(r.Old.Key))
		fmt.Fprintf(&b, "\n    presented: %s", ssh.FingerprintSHA256(r.New))
		if r.Shared {
			b.WriteString("\n    that line pins other hosts too: edit it by hand")
		}
	}
	b.WriteString("\n  verify the new key out of band, then rerun with --replace")
	return b.String()
}

func (e *env) checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "scan servers and diff them against the pinned file: the CI command",
		ArgsUsage: "[TARGET...]",
		Description: `check scans each target and compares every key it proves with the pinned
file, per key type: ok; changed (a pinned type now presents another key:
the machine-in-the-middle case); new (an offered type is not pinned);
missing (a pinned type is no longer offered); revoked (@revoked names it);
cert-ok / cert-invalid (a host certificate under a pinned @cert-authority:
signature, principals, validity); unpinned-host; unverified (it could not
be checked). With no TARGET it checks every plain host the file names
(hashed entries cannot be listed: name those hosts as targets). Without
--pinned it reads the user's known_hosts files, as ssh does.

With --from it judges the JSON Lines sshpin scan --json wrote (on another
machine, in shards: the files concatenate) instead of scanning, and
touches no network: every record, or those of the TARGETs named. Keys
are parsed from each record's public_key and fingerprinted again; the
file's fingerprints are not trusted.

Exit 0 when every host verifies, 1 on any drift, 2 when a host could not
be verified (drift wins: it is the finding CI must not miss).

Examples:
  sshpin check --pinned host.keys
  sshpin check --pinned host.keys --format markdown >> "$GITHUB_STEP_SUMMARY"
  sshpin check --pinned host.keys --trust-on-first-use new-host.example
  sshpin check --pinned host.keys --from fleet.jsonl`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "pinned", Usage: "the pinned `FILE`; default: ~/.ssh/known_hosts, ~/.ssh/known_hosts2 and /etc/ssh/ssh_known_hosts", TakesFile: true},
			&cli.StringFlag{Name: "baseline", Usage: "also report algorithm drift against the baseline `FILE` written by pin --baseline", TakesFile: true},
			&cli.StringFlag{Name: "policy", Usage: "also check the algorithms against a built-in policy `NAME` (" + strings.Join(audit.BuiltinPolicies(), ", ") + ") or a policy FILE; a fail is drift"},
			&cli.BoolFlag{Name: "trust-on-first-use", Usage: "pin the keys of hosts the file knows nothing about (never on a mismatch)"},
			&cli.BoolFlag{Name: "legacy", Usage: "collect keys with SHA-1/CBC algorithms too (old servers)"},
			fromFlag(),
		},
		Action: e.runCheck,
	}
}

// readPinned reads --pinned, or the files ssh reads by default, and says
// where trust on first use writes. A missing --pinned file is an error
// unless mayBeMissing (trust on first use will create it); then, as when
// none of ssh's files exists, the Set holds no file.
func readPinned(cmd *cli.Command, mayBeMissing bool) (set *knownhosts.Set, writePath string, err error) {
	paths := []string{cmd.String("pinned")}
	if paths[0] == "" {
		if paths, err = defaultPinned(); err != nil {
			return nil, "", err
		}
	} else if _, err := os.Stat(paths[0]); errors.Is(err, fs.ErrNotExist) && !mayBeMissing {
		return nil, "", &exitError{exitFailure, fmt.Errorf("cannot read pinned file: knownhosts: %w", err)}
	}
	if set, err = knownhosts.Open(paths...); err != nil {
		return nil, "", &exitError{exitFailure, fmt.Errorf("cannot read pinned file: %w", err)}
	}
	return set, paths[0], nil
}

// defaultPinned are the files ssh reads when none is named, the user's
// first: the one trust on first use writes.
func defaultPinned() ([]string, error) {
	user, err := knownhosts.DefaultFiles()
	if err != nil {
		return nil, &usageError{msg: strings.TrimPrefix(err.Error(), "knownhosts: "), hint: "name the pinned file with --pinned FILE"}
	}
	return append(user, knownhosts.GlobalFiles()...), nil
}

func (e *env) runCheck(ctx context.Context, cmd *cli.Command) error {
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	opts, err := scanOptions(cmd)
	if err != nil {
		return err
	}
	tofu := cmd.Bool("trust-on-first-use")
	set, writePath, err := readPinned(cmd, tofu)
	if err != nil {
		return err
	}
	files := set.Files()
	if len(files) == 0 && !tofu {
		// Trusting on first use starts a pinned file, as pin does.
		defaults, _ := defaultPinned()
		return &usageError{msg: "no pinned file: none of " + strings.Join(defaults, ", ") + " exists",
			hint: "sshpin pin --pinned host.keys TARGET..., then sshpin check --pinned host.keys"}
	}
	// Bad lines never hide the good ones, but a pinned file with lines
	// OpenSSH would skip is not a clean bill of health: the run ends with 2
	// unless there is drift to report. Counting them is cheap; a full lint
	// is not, on a large file, and is lint's job.
	var notes report.CheckNotes
	for _, f := range files {
		bad := invalidLines(f)
		for _, l := range bad {
			e.warnf("%s", l)
		}
		notes.Malformed = append(notes.Malformed, bad...)
	}
	malformed := len(notes.Malformed)
	policy, err := e.loadPolicy(cmd.String("policy"))
	if err != nil {
		return err
	}
	var base *baseline.File
	if bp := cmd.String("baseline"); bp != "" {
		if base, err = readBaseline(bp); err != nil {
			return &exitError{exitFailure, fmt.Errorf("cannot read baseline: %w", err)}
		}
	}
	var targets []target.Target
	var results []*scan.Result
	from := len(cmd.StringSlice("from")) > 0
	switch {
	case from:
		if results, err = e.fromResults(ctx, cmd, fromCheck); err != nil {
			return err
		}
	case cmd.Args().Present() || len(cmd.StringSlice("file")) > 0:
		if targets, err = e.gatherTargets(cmd); err != nil {
			return err
		}
	default:
		for _, f := range files {
			hosts, hashed, err := f.Hosts()
			if err != nil {
				return &exitError{exitFailure, err}
			}
			if hashed > 0 {
				what := fmt.Sprintf("%d hashed entries name hosts that cannot be listed; give those hosts as targets", hashed)
				if hashed == 1 {
					what = "1 hashed entry names a host that cannot be listed; give that host as a target"
				}
				e.warnf("%s: %s", f.Name, what)
				notes.Skipped = append(notes.Skipped, f.Name+": "+what)
			}
			for _, h := range hosts {
				targets = append(targets, target.Target{Raw: h.String(), Host: h.Host, Port: h.Port})
			}
			// Hosts pinned only through a CA: those a line names are
			// checked (their certificate must verify); a pattern names no
			// host, and is said to be skipped rather than silently passed.
			named, unnamed := f.Authorities()
			for _, h := range named {
				targets = append(targets, target.Target{Raw: h.String(), Host: h.Host, Port: h.Port})
			}
			for _, l := range unnamed {
				why := fmt.Sprintf("%s:%d: @cert-authority for %s names no host to check (a pattern or hashed): give its hosts as targets", f.Name, l.Num, strings.Join(l.Hosts, ","))
				notes.Skipped = append(notes.Skipped, why)
				e.warnf("skipped: %s", why)
			}
		}
		if len(targets) == 0 {
			return &usageError{msg: "the pinned file names no plain host to check", hint: "sshpin check --pinned FILE TARGET..."}
		}
	}
	total := len(results)
	if !from {
		results = e.collect(ctx, cmd, targets, func(ctx context.Context, t target.Target) *scan.Result { return scan.Scan(ctx, t, opts) }, nil)
		total = len(targets)
	}
	var checks []*check.Host
	drift, unverified := 0, 0
	for _, r := range nonNil(results) {
		m, err := set.Lookup(r.Target.Host, r.Target.Port)
		if err != nil {
			return &exitError{exitFailure, err}
		}
		h := check.Diff(m, r)
		if tofu && len(h.Keys) == 1 && h.Keys[0].Status == check.StatusUnpinned {
			// A failure here leaves the host unpinned, which is drift: it
			// must not cost the other hosts their report.
			if err := e.trustOnFirstUse(set, writePath, r); err != nil {
				e.warnf("%s: not trusted on first use: %s", r.Target, strings.TrimPrefix(err.Error(), "knownhosts: "))
			} else if m, err := set.Lookup(r.Target.Host, r.Target.Port); err == nil {
				h = check.Diff(m, r)
				h.MarkTrusted(writePath)
			}
		}
		if policy != nil && r.Hello != nil && r.Hello.KexInit != nil {
			h.Policy = policy.Check(r.Hello.KexInit, report.HostKeys(r.Keys))
		}
		if base != nil && r.Hello != nil && r.Hello.KexInit != nil {
			if bh := base.Host(r.Target.String()); bh != nil {
				h.Algos = bh.Diff(r.Hello.KexInit)
				h.Hello = check.HelloDrift(bh, r.Hello)
			} else {
				e.warnf("%s: not in the baseline %s; algorithms not checked", r.Target, base.Name)
			}
		}
		switch h.Verdict() {
		case check.VerdictDrift:
			drift++
		case check.VerdictUnverified:
			unverified++
		}
		checks = append(checks, h)
		if format == report.FormatJSON {
			if err := report.WriteJSON(e.stdout, report.NewCheckRecord(h)); err != nil {
				return &exitError{exitFailure, err}
			}
		}
	}
	switch format {
	case report.FormatTable:
		err = report.CheckTable(e.stdout, checks, notes)
	case report.FormatPlain:
		err = report.CheckPlain(e.stdout, checks, notes)
	case report.FormatMarkdown:
		err = report.CheckMarkdown(e.stdout, checks, notes)
	}
	if err != nil {
		return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
	}
	switch {
	case ctx.Err() != nil:
		return outcome(ctx, results)
	case drift > 0:
		return &exitError{exitFindings, fmt.Errorf("%d of %s drifted from their pins", drift, report.Plural(total, "host"))}
	case unverified > 0:
		return &exitError{exitFailure, fmt.Errorf("%d of %s could not be verified", unverified, report.Plural(total, "host"))}
	case malformed > 0:
		return &exitError{exitFailure, fmt.Errorf("the pinned file has %s (listed above): OpenSSH skips them, so a pin you think you have may not be there", report.Plural(malformed, "malformed line"))}
	}
	return nil
}

// invalidLines names each line of f OpenSSH would skip, as
// "file:line: what is wrong".
func invalidLines(f *knownhosts.File) []string {
	var out []string
	for _, l := range f.Lines {
		if l.Kind != knownhosts.Invalid {
			continue
		}
		msg := "malformed line"
		var se *knownhosts.SyntaxError
		if errors.As(l.Err, &se) {
			msg = se.Msg
		} else if l.Err != nil {
			msg = strings.TrimPrefix(l.Err.Error(), "knownhosts: ")
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", f.Name, l.Num, msg))
	}
	return out
}

// trustOnFirstUse pins an unknown host's keys, loudly, with the one rule
// sftp follows too: the pins are read again under the file's lock, and a
// host pinned meanwhile must match them.
func (e *env) trustOnFirstUse(set *knownhosts.Set, path string, r *scan.Result) error {
	added, err := set.TrustOnFirstUse(path, r.Target.Host, r.Target.Port, plainKeys(r)...)
	if err == nil && added > 0 {
		e.warnf("warning: trusted %s on first use: pinned %s into %s without verification", r.Target, report.Plural(added, "key"), path)
	}
	return err
}

// lintRecord is one problem lint found, as a JSON line.
type lintRecord struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func errorCount(ps []knownhosts.Problem) int {
	n := 0
	for _, p := range ps {
		if p.Severity == knownhosts.SeverityError {
			n++
		}
	}
	return n
}

func (e *env) lintCommand() *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "show what is wrong in known_hosts files, line by line",
		ArgsUsage: "FILE...",
		Description: `lint reads known_hosts files with OpenSSH's semantics and reports, by
file:line, lines OpenSSH would skip and why, unknown key types, patterns
that never match, duplicate entries, a host pinned with two different keys
of one type, and keys both revoked and trusted. A bad line never hides the
rest of the file. Exit 1 when an error is found, 2 when a file cannot be read.

Examples:
  sshpin lint host.keys
  sshpin lint ~/.ssh/known_hosts`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if !cmd.Args().Present() {
				return &usageError{msg: "no file given", hint: "sshpin lint FILE..."}
			}
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			errs := 0
			var md strings.Builder
			if format == report.FormatMarkdown {
				md.WriteString("| file | line | severity | problem |\n|---|---|---|---|\n")
			}
			for _, p := range cmd.Args().Slice() {
				f, err := knownhosts.ReadFile(p)
				if err != nil {
					return &exitError{exitFailure, fmt.Errorf("cannot read %s: %w", p, err)}
				}
				problems := f.Lint()
				for _, pr := range problems {
					switch format {
					case report.FormatJSON:
						err = report.WriteJSON(e.stdout, lintRecord{File: pr.File, Line: pr.Line, Severity: string(pr.Severity), Message: pr.Msg})
					case report.FormatMarkdown:
						fmt.Fprintf(&md, "| %s | %d | %s | %s |\n", report.MarkdownCell(pr.File), pr.Line, pr.Severity, report.MarkdownCell(pr.Msg))
					case report.FormatPlain:
						_, err = fmt.Fprintf(e.stdout, "%s:%d: %s: %s\n", report.Safe(pr.File), pr.Line, pr.Severity, report.Safe(pr.Msg))
					default:
						_, err = io.WriteString(e.stdout, report.Wrap(fmt.Sprintf("%s:%d: %s: %s\n", report.Safe(pr.File), pr.Line, pr.Severity, report.Safe(pr.Msg)), report.WidthOf(e.stdout)))
					}
					if err != nil {
						return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
					}
				}
				errs += errorCount(problems)
			}
			if format == report.FormatMarkdown {
				if _, err := io.WriteString(e.stdout, md.String()); err != nil {
					return &exitError{exitFailure, fmt.Errorf("writing output: %w", err)}
				}
			}
			if errs > 0 {
				return &exitError{exitFindings, fmt.Errorf("%s", report.Plural(errs, "error"))}
			}
			return nil
		},
	}
}
