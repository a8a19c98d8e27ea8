package report

import (
	"github.com/sshpin/sshpin/check"

	"fmt"
	"io"
	"strings"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/baseline"
	"github.com/sshpin/sshpin/results"
)

// CheckRecord is one host's JSON line for check.
type CheckRecord struct {
	results.Record
	Name   string            `json:"pinned_name"`
	Status check.Verdict     `json:"status"`
	Checks []check.Key       `json:"checks"`
	Hello  []check.Key       `json:"hello_drift,omitempty"`
	Algos  []baseline.Change `json:"algorithm_drift,omitempty"`
	Policy []audit.Finding   `json:"policy,omitempty"`
}

// NewCheckRecord builds the JSON line.
func NewCheckRecord(h *check.Host) CheckRecord {
	return CheckRecord{Record: results.NewRecord(h.Scan, true), Name: h.Name, Status: h.Verdict(), Checks: h.Keys, Hello: h.Hello, Algos: h.Algos, Policy: h.Policy}
}

// CheckNotes are what check found outside the hosts: pinned lines it could
// not read, and hosts it did not check.
type CheckNotes struct {
	Malformed []string // "file:line: what is wrong"
	Skipped   []string // "host: why", or "file:line: why" for a pattern
}

// CheckSummary counts a run's hosts by verdict.
type CheckSummary struct {
	Hosts, OK, Trusted, Drift, Unverified, Skipped, Malformed int
}

// Summarize counts hosts by verdict.
func Summarize(hosts []*check.Host, notes CheckNotes) CheckSummary {
	s := CheckSummary{Hosts: len(hosts), Skipped: len(notes.Skipped), Malformed: len(notes.Malformed)}
	for _, h := range hosts {
		switch h.Verdict() {
		case check.VerdictDrift:
			s.Drift++
		case check.VerdictUnverified:
			s.Unverified++
		case check.VerdictTrusted:
			s.Trusted++
		default:
			s.OK++
		}
	}
	return s
}

// String is the one-line count: "3 hosts: 1 ok, 1 trusted on first use
// (not verified), 1 drifted".
func (s CheckSummary) String() string {
	parts := []string{fmt.Sprintf("%d ok", s.OK)}
	if s.Trusted > 0 {
		parts = append(parts, fmt.Sprintf("%d trusted on first use (not verified)", s.Trusted))
	}
	if s.Drift > 0 {
		parts = append(parts, fmt.Sprintf("%d drifted", s.Drift))
	}
	if s.Unverified > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be verified", s.Unverified))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
	}
	out := plural(s.Hosts, "host") + ": " + strings.Join(parts, ", ")
	if s.Malformed > 0 {
		out += "; " + plural(s.Malformed, "malformed pinned line")
	}
	return out
}

// checkRows are one host's rows: status, type, presented, pinned, detail.
func checkRows(h *check.Host) [][]string {
	var rows [][]string
	for _, k := range append(h.Keys[:len(h.Keys):len(h.Keys)], h.Hello...) {
		pinned := ""
		if k.Pinned != "" && k.Pinned != k.Presented {
			pinned = Safe(k.Pinned)
			if len(k.Lines) > 0 && k.Type != "banner" && k.Type != "hassh_server" {
				pinned += " (line " + joinInts(k.Lines) + ")"
			}
		}
		rows = append(rows, []string{string(k.Status), Safe(k.Type), Safe(k.Presented), pinned, Safe(k.Detail)})
	}
	for _, f := range h.Policy {
		if f.Severity == audit.Fail || f.Severity == audit.Warn {
			rows = append(rows, []string{"policy-" + string(f.Severity), Safe(f.Algorithm), "", "", Safe(f.Reason)})
		}
	}
	for _, a := range h.Algos {
		detail := Safe(strings.Join(a.Algorithms, ", "))
		if a.Kind == baseline.Reordered {
			detail = "was: " + Safe(strings.Join(a.Was, ", ")) + "\nnow: " + detail
		}
		rows = append(rows, []string{"algo-" + string(a.Kind), a.Field, "", "", detail})
	}
	return rows
}

// CheckTable renders checks for a person: each host, one row per key
// type under it, then the counts. Fingerprints and details go on lines of
// their own under their row when the row would not fit.
func CheckTable(w io.Writer, hosts []*check.Host, notes CheckNotes) error {
	t := newTable(w, "STATUS", "TYPE", "PRESENTED", "PINNED", "DETAIL").
		under(4, "", true).under(3, "pinned", false).under(2, "presented", false)
	for _, h := range hosts {
		t.Group(Safe(h.Name))
		for _, r := range checkRows(h) {
			t.Append(r)
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	var b strings.Builder
	for _, m := range notes.Malformed {
		b.WriteString("malformed: " + Safe(m) + "\n")
	}
	for _, s := range notes.Skipped {
		b.WriteString("skipped: " + Safe(s) + "\n")
	}
	b.WriteString(Summarize(hosts, notes).String() + "\n")
	_, err := io.WriteString(w, wrapText(b.String(), WidthOf(w)))
	return err
}

// CheckPlain is one line per row: host, status, type, presented, pinned,
// then the detail as free text.
func CheckPlain(w io.Writer, hosts []*check.Host, notes CheckNotes) error {
	var b strings.Builder
	for _, h := range hosts {
		for _, r := range checkRows(h) {
			fmt.Fprintf(&b, "%s %s %s %s %s %s\n", plainField(h.Name), r[0], plainField(r[1]), plainField(r[2]), plainField(r[3]), strings.ReplaceAll(r[4], "\n", "; "))
		}
	}
	for _, m := range notes.Malformed {
		fmt.Fprintf(&b, "- malformed - - - %s\n", Safe(m))
	}
	for _, s := range notes.Skipped {
		fmt.Fprintf(&b, "- skipped - - - %s\n", Safe(s))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CheckMarkdown renders checks for a CI job summary or a pull-request
// comment: a verdict line that says apart every way a run can end, the
// counts, a table of every row, then the malformed lines and skipped hosts.
func CheckMarkdown(w io.Writer, hosts []*check.Host, notes CheckNotes) error {
	s := Summarize(hosts, notes)
	var b strings.Builder
	switch {
	case s.Drift > 0:
		fmt.Fprintf(&b, "### :x: sshpin check: %d of %s drifted from their pins\n\n", s.Drift, plural(s.Hosts, "host"))
	case s.Unverified > 0:
		fmt.Fprintf(&b, "### :warning: sshpin check: %d of %s could not be verified\n\n", s.Unverified, plural(s.Hosts, "host"))
	case s.Trusted > 0:
		fmt.Fprintf(&b, "### :warning: sshpin check: %d of %s trusted on first use: pinned by this run, not verified\n\n", s.Trusted, plural(s.Hosts, "host"))
	case s.Malformed > 0:
		fmt.Fprintf(&b, "### :warning: sshpin check: the pinned file has %s\n\n", plural(s.Malformed, "malformed line"))
	case s.Hosts == 1:
		b.WriteString("### :white_check_mark: sshpin check: the 1 host matches its pins\n\n")
	default:
		fmt.Fprintf(&b, "### :white_check_mark: sshpin check: all %d hosts match their pins\n\n", s.Hosts)
	}
	fmt.Fprintf(&b, "%s\n\n", mdEscape(s.String()))
	b.WriteString("| host | status | type | presented | pinned | detail |\n|---|---|---|---|---|---|\n")
	for _, h := range hosts {
		for _, r := range checkRows(h) {
			status := r[0]
			if status != string(check.StatusOK) && status != string(check.StatusCertOK) {
				status = "**" + status + "**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(h.Name), status, code(r[1]), code(r[2]), mdEscape(r[3]), mdEscape(r[4]))
		}
	}
	if len(notes.Malformed) > 0 {
		b.WriteString("\nMalformed pinned lines (OpenSSH skips them: a pin you think you have may not be there):\n\n")
		for _, m := range notes.Malformed {
			b.WriteString("- " + mdEscape(Safe(m)) + "\n")
		}
	}
	if len(notes.Skipped) > 0 {
		b.WriteString("\nNot checked:\n\n")
		for _, s := range notes.Skipped {
			b.WriteString("- " + mdEscape(Safe(s)) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", "<br>", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`").Replace(s)
}

// joinInts joins line numbers with commas.
func joinInts(n []int) string {
	s := make([]string, len(n))
	for i, v := range n {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}
