package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sshpin/sshpin/negotiate"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
)

// Diagnosis is one target negotiated against client profiles.
type Diagnosis struct {
	Probe    *scan.Result
	Results  []*negotiate.Result
	Pitfalls map[string]*negotiate.Pitfall // by profile name, with --pinned
}

// DiagnoseRecord is the JSON line of a diagnosis.
type DiagnoseRecord struct {
	results.Record
	Negotiations []*negotiate.Result           `json:"negotiations,omitempty"`
	Pitfalls     map[string]*negotiate.Pitfall `json:"pinned_pitfalls,omitempty"`
}

// NewDiagnoseRecord builds the JSON line.
func NewDiagnoseRecord(d *Diagnosis) DiagnoseRecord {
	return DiagnoseRecord{Record: results.NewRecord(d.Probe, false), Negotiations: d.Results, Pitfalls: d.Pitfalls}
}

// DiagnoseText renders a diagnosis for a person: per client, the algorithm
// each slot settles on, and for each slot with none, both lists and the fix
// on each side, wrapped to the writer's width.
func DiagnoseText(w io.Writer, d *Diagnosis) error {
	r := d.Probe
	width := WidthOf(w)
	if r.Err != nil {
		_, err := io.WriteString(w, wrapText(fmt.Sprintf("%s: error: %s", Safe(r.Target.String()), Safe(scan.Describe(r.Err))), width))
		return err
	}
	if _, err := io.WriteString(w, wrapText(fmt.Sprintf("%s  %s", Safe(r.Target.String()), Safe(r.Hello.Banner.Raw)), width)); err != nil {
		return err
	}
	for _, n := range d.Results {
		if _, err := fmt.Fprintf(w, "\nclient %s: %s\n", n.Client, verdict(n)); err != nil {
			return err
		}
		t := newTable(w, "NEGOTIATION", "CHOSEN").wraps(1)
		for _, c := range n.Choices {
			t.Append([]string{string(c.Slot), Safe(chosen(c))})
		}
		if err := t.Render(); err != nil {
			return err
		}
		if _, err := io.WriteString(w, wrapText(failures(d, n), width)); err != nil {
			return err
		}
	}
	return nil
}

func verdict(n *negotiate.Result) string {
	if n.OK {
		return "connects"
	}
	return "CANNOT CONNECT"
}

func chosen(c negotiate.Choice) string {
	if c.Algorithm == "" {
		return "(" + negotiate.NoCommonAlgorithm + ")"
	}
	return c.Algorithm
}

// failures are the lines after a client's table: each slot with no common
// algorithm, both lists, the fixes; the pinned-key pitfall.
func failures(d *Diagnosis, n *negotiate.Result) string {
	var b strings.Builder
	for _, f := range n.Failures {
		fmt.Fprintf(&b, "%s: %s\n", f.Slot, f.Reason)
		fmt.Fprintf(&b, "  client offers: %s\n", orNone(f.Client))
		fmt.Fprintf(&b, "  server offers: %s\n", Safe(orNone(f.Server)))
		if f.ClientCanFix {
			fmt.Fprintf(&b, "  fix the client: %s\n", Safe(f.ClientFix))
		} else {
			fmt.Fprintf(&b, "  the client cannot: %s\n", Safe(f.ClientFix))
		}
		fmt.Fprintf(&b, "  fix the server: %s\n", Safe(f.ServerFix))
	}
	if p := d.Pitfalls[n.Client]; p != nil {
		fmt.Fprintf(&b, "pinned-key pitfall: %s\n", p.Reason)
		if p.Option != "" {
			fmt.Fprintf(&b, "  set: %s\n", p.Option)
		}
	}
	return b.String()
}

// DiagnosePlain is one line per slot: target, client, verdict, slot,
// the algorithm chosen ("-" when none); then one line per note.
func DiagnosePlain(w io.Writer, d *Diagnosis) error {
	name := plainField(d.Probe.Target.String())
	var b strings.Builder
	if d.Probe.Err != nil {
		fmt.Fprintf(&b, "%s - error - %s\n", name, Safe(scan.Describe(d.Probe.Err)))
	}
	for _, n := range d.Results {
		v := "connects"
		if !n.OK {
			v = "cannot-connect"
		}
		for _, c := range n.Choices {
			fmt.Fprintf(&b, "%s %s %s %s %s\n", name, n.Client, v, c.Slot, plainField(c.Algorithm))
		}
		for _, l := range strings.Split(strings.TrimSpace(failures(d, n)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				fmt.Fprintf(&b, "%s %s note - %s\n", name, n.Client, Safe(l))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DiagnoseMarkdown is one section per target, one table per client.
func DiagnoseMarkdown(w io.Writer, d *Diagnosis) error {
	m := &md{}
	r := d.Probe
	m.heading(r.Target.String())
	if r.Err != nil {
		m.para("error: " + scan.Describe(r.Err))
		return m.flush(w)
	}
	m.para(r.Hello.Banner.Raw)
	for _, n := range d.Results {
		m.para(fmt.Sprintf("client %s: %s", n.Client, verdict(n)))
		m.header("negotiation", "chosen")
		for _, c := range n.Choices {
			m.row(string(c.Slot), code(chosen(c)))
		}
		if f := failures(d, n); f != "" {
			m.end()
			m.b.WriteString("```\n" + f + "```\n\n")
		}
	}
	return m.flush(w)
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "(nothing)"
	}
	return strings.Join(l, ",")
}
