package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sshpin/sshpin/negotiate"
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
	Record
	Negotiations []*negotiate.Result           `json:"negotiations,omitempty"`
	Pitfalls     map[string]*negotiate.Pitfall `json:"pinned_pitfalls,omitempty"`
}

// NewDiagnoseRecord builds the JSON line.
func NewDiagnoseRecord(d *Diagnosis) DiagnoseRecord {
	return DiagnoseRecord{Record: NewRecord(d.Probe, false), Negotiations: d.Results, Pitfalls: d.Pitfalls}
}

// DiagnoseText renders a diagnosis for a person: per client, the algorithm
// each slot settles on, and for each slot with none, both lists and the fix
// on each side.
func DiagnoseText(w io.Writer, d *Diagnosis) error {
	r := d.Probe
	var b strings.Builder
	if r.Err != nil {
		_, err := fmt.Fprintf(w, "%s: error: %s\n", r.Target.String(), Safe(scan.Describe(r.Err)))
		return err
	}
	fmt.Fprintf(&b, "%s  %s\n", r.Target.String(), Safe(r.Hello.Banner.Raw))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, n := range d.Results {
		verdict := "connects"
		if !n.OK {
			verdict = "CANNOT CONNECT"
		}
		if _, err := fmt.Fprintf(w, "\nclient %s: %s\n", n.Client, verdict); err != nil {
			return err
		}
		t := newTable(w, "NEGOTIATION", "CHOSEN")
		for _, c := range n.Choices {
			alg := c.Algorithm
			if alg == "" {
				alg = "(" + negotiate.NoCommonAlgorithm + ")"
			}
			if err := t.Append([]string{string(c.Slot), Safe(alg)}); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		b.Reset()
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
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "(nothing)"
	}
	return strings.Join(l, ",")
}
