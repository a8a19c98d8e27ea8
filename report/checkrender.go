package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/baseline"
)

// CheckRecord is one host's JSON line for check.
type CheckRecord struct {
	Record
	Name   string            `json:"pinned_name"`
	Status string            `json:"status"` // ok, drift or unverified
	Checks []KeyCheck        `json:"checks"`
	Algos  []baseline.Change `json:"algorithm_drift,omitempty"`
	Policy []audit.Finding   `json:"policy,omitempty"`
}

// Verdict sums a host up: drift wins over unverified, which wins over ok.
func (h *HostCheck) Verdict() string {
	switch {
	case h.Drift():
		return "drift"
	case h.Unverified():
		return "unverified"
	}
	return "ok"
}

// NewCheckRecord builds the JSON line.
func NewCheckRecord(h *HostCheck) CheckRecord {
	return CheckRecord{Record: NewRecord(h.Scan, true), Name: h.Name, Status: h.Verdict(), Checks: h.Keys, Algos: h.Algos, Policy: h.Policy}
}

// CheckTable renders checks for a person, one row per key type.
func CheckTable(w io.Writer, hosts []*HostCheck) error {
	t := newTable(w, "HOST", "STATUS", "TYPE", "PRESENTED", "DETAIL")
	for _, h := range hosts {
		for _, k := range h.Keys {
			presented := k.Presented
			if presented == "" && k.Pinned != "" {
				presented = "(pinned " + k.Pinned + ")"
			}
			if err := t.Append([]string{h.Name, string(k.Status), Safe(k.Type), presented, wrap(Safe(k.Detail), 70)}); err != nil {
				return err
			}
		}
		for _, f := range h.Policy {
			if f.Severity != audit.Fail && f.Severity != audit.Warn {
				continue
			}
			if err := t.Append([]string{h.Name, "policy-" + string(f.Severity), Safe(f.Algorithm), "", wrap(Safe(f.Reason), 70)}); err != nil {
				return err
			}
		}
		for _, a := range h.Algos {
			if err := t.Append([]string{h.Name, "algo-" + string(a.Kind), a.Field, "", safeList(a.Algorithms)}); err != nil {
				return err
			}
		}
	}
	return t.Render()
}

// CheckMarkdown renders checks for a CI job summary or a pull-request
// comment: a verdict line, then a table of everything that is not ok.
func CheckMarkdown(w io.Writer, hosts []*HostCheck) error {
	var drift, unverified int
	for _, h := range hosts {
		switch h.Verdict() {
		case "drift":
			drift++
		case "unverified":
			unverified++
		}
	}
	var b strings.Builder
	switch {
	case drift > 0:
		fmt.Fprintf(&b, "### :x: sshpin check: %d of %d hosts drifted from their pins\n\n", drift, len(hosts))
	case unverified > 0:
		fmt.Fprintf(&b, "### :warning: sshpin check: %d of %d hosts could not be verified\n\n", unverified, len(hosts))
	default:
		fmt.Fprintf(&b, "### :white_check_mark: sshpin check: all %d hosts match their pins\n\n", len(hosts))
	}
	b.WriteString("| host | status | type | presented | detail |\n|---|---|---|---|---|\n")
	for _, h := range hosts {
		for _, k := range h.Keys {
			fmt.Fprintf(&b, "| %s | **%s** | %s | `%s` | %s |\n", mdEscape(h.Name), k.Status, mdEscape(Safe(k.Type)), k.Presented, mdEscape(Safe(k.Detail)))
		}
		for _, f := range h.Policy {
			if f.Severity == audit.Fail || f.Severity == audit.Warn {
				fmt.Fprintf(&b, "| %s | policy-%s | %s | | %s |\n", mdEscape(h.Name), f.Severity, mdEscape(Safe(f.Algorithm)), mdEscape(Safe(f.Reason)))
			}
		}
		for _, a := range h.Algos {
			fmt.Fprintf(&b, "| %s | algo-%s | %s | | %s |\n", mdEscape(h.Name), a.Kind, a.Field, mdEscape(Safe(strings.Join(a.Algorithms, ", "))))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// wrap breaks s at spaces so no line passes width: table cells never wrap
// by themselves.
func wrap(s string, width int) string {
	var out, line []string
	n := 0
	for _, w := range strings.Fields(s) {
		if n > 0 && n+1+len(w) > width {
			out = append(out, strings.Join(line, " "))
			line, n = nil, 0
		}
		if n > 0 {
			n++
		}
		line = append(line, w)
		n += len(w)
	}
	if len(line) > 0 {
		out = append(out, strings.Join(line, " "))
	}
	return strings.Join(out, "\n")
}
