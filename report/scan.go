package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sshpin/sshpin/scan"
)

// scanRows are one target's rows: type, bits, fingerprint, note.
func scanRows(r *scan.Result) [][]string {
	var rows [][]string
	for _, k := range r.Keys {
		rows = append(rows, []string{Safe(k.Type), strconv.Itoa(k.Bits), k.SHA256, safeList(strings.Split(certNote(k.Cert), "\n"))})
	}
	for _, n := range r.NotRetrieved {
		rows = append(rows, []string{Safe(n.Type), "", "(not retrieved)", Safe(n.Reason)})
	}
	if r.Err != nil && len(r.NotRetrieved) == 0 {
		rows = append(rows, []string{"(error)", "", "", "error: " + Safe(scan.Describe(r.Err))})
	}
	return rows
}

// ScanTable renders scan results, in the order given: each target, then
// one row per key under it. A certificate's note (and a reason) goes on
// lines of its own under its row when the row would not fit.
func ScanTable(w io.Writer, results []*scan.Result) error {
	t := newTable(w, "TYPE", "BITS", "FINGERPRINT", "NOTE").under(3, "", true).under(2, "sha256", false)
	for _, r := range results {
		t.Group(Safe(probeHead(r)))
		for _, row := range scanRows(r) {
			t.Append(row)
		}
	}
	return t.Render()
}

// ScanPlain is one line per key: target, address, type, bits,
// fingerprint, then the note as free text.
func ScanPlain(w io.Writer, results []*scan.Result) error {
	var b strings.Builder
	for _, r := range results {
		for _, row := range scanRows(r) {
			fmt.Fprintf(&b, "%s %s %s %s %s %s\n", plainField(r.Target.String()), plainField(r.Address),
				plainField(row[0]), plainField(row[1]), plainField(row[2]), strings.ReplaceAll(row[3], "\n", "; "))
		}
	}
	_, err := io.WriteString(w, strings.ReplaceAll(b.String(), " \n", "\n"))
	return err
}

// ScanMarkdown is one table for the run.
func ScanMarkdown(w io.Writer, results []*scan.Result) error {
	m := &md{}
	m.header("target", "type", "bits", "fingerprint", "note")
	for _, r := range results {
		for _, row := range scanRows(r) {
			m.row(mdCell(probeHead(r)), code(row[0]), row[1], code(row[2]), mdCell(strings.ReplaceAll(row[3], "\n", "; ")))
		}
	}
	return m.flush(w)
}

func certNote(c *scan.Certificate) string {
	if c == nil {
		return ""
	}
	kind := "host certificate"
	if !c.HostCert {
		kind = "USER certificate presented as host key"
	}
	valid := "forever"
	if c.ValidAfter != nil || c.ValidBefore != nil {
		from, to := "always", "forever"
		if c.ValidAfter != nil {
			from = c.ValidAfter.Format(time.RFC3339)
		}
		if c.ValidBefore != nil {
			to = c.ValidBefore.Format(time.RFC3339)
		}
		valid = from + " to " + to
	}
	return fmt.Sprintf("%s id %q principals %s valid %s\nsigned by %s %s",
		kind, c.KeyID, strings.Join(c.Principals, ","), valid, c.CAType, c.CASHA256)
}
