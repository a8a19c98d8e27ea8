package report

import (
	"fmt"
	"io"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
)

// probeHead names a target, and the address that answered when it is not
// the target itself.
func probeHead(r *scan.Result) string {
	head := r.Target.String()
	if r.Address != "" && r.Address != r.Target.Host {
		head += " (" + r.Address + ")"
	}
	return head
}

// probeRows are the fields of one probe, one name per line in the lists.
func probeRows(r *scan.Result) [][]string {
	h := r.Hello
	rows := [][]string{{"banner", Safe(h.Banner.Raw)}, {"software", Safe(h.Banner.Software)}}
	if h.Banner.Comment != "" {
		rows = append(rows, []string{"comment", Safe(h.Banner.Comment)})
	}
	if h.PreambleLines > 0 {
		kept := safeList(h.Preamble)
		if h.PreambleLines > len(h.Preamble) {
			kept += fmt.Sprintf("\n(%s in all, the first %d kept)", plural(h.PreambleLines, "line"), len(h.Preamble))
		}
		rows = append(rows, []string{"pre-banner lines", kept})
	}
	rows = append(rows, []string{"hassh_server", h.KexInit.HasshServer()})
	lists := h.KexInit.Lists()
	for i, name := range kexinit.FieldNames {
		v := safeList(*lists[i])
		if v == "" {
			v = "(none)"
		}
		rows = append(rows, []string{name, v})
	}
	return append(rows, []string{"first_kex_packet_follows", fmt.Sprint(h.KexInit.FirstKexFollows)})
}

// ProbeTable renders one probe result: the banner, hasshServer and every
// name-list in the server's order, one name per line.
func ProbeTable(w io.Writer, r *scan.Result) error {
	head := Safe(probeHead(r))
	if r.Err != nil {
		_, err := io.WriteString(w, wrapText(fmt.Sprintf("%s: error: %s", head, Safe(scan.Describe(r.Err))), WidthOf(w))+"\n")
		return err
	}
	if _, err := io.WriteString(w, wrapText(head, WidthOf(w))); err != nil {
		return err
	}
	t := newTable(w, "FIELD", "VALUE").wraps(1)
	for _, row := range probeRows(r) {
		t.Append(row)
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// ProbePlain is one line per name (and per other field): target, field,
// value, for grep and awk.
func ProbePlain(w io.Writer, r *scan.Result) error {
	name := plainField(r.Target.String())
	if r.Err != nil {
		_, err := fmt.Fprintf(w, "%s error %s %s\n", name, results.ErrorKind(r.Err), Safe(scan.Describe(r.Err)))
		return err
	}
	for _, row := range probeRows(r) {
		for _, v := range splitLines(row[1]) {
			if _, err := fmt.Fprintf(w, "%s %s %s\n", name, row[0], v); err != nil {
				return err
			}
		}
	}
	return nil
}

// ProbeMarkdown is one section per target.
func ProbeMarkdown(w io.Writer, r *scan.Result) error {
	m := &md{}
	m.heading(probeHead(r))
	if r.Err != nil {
		m.para("error: " + scan.Describe(r.Err))
	} else {
		m.header("field", "value")
		for _, row := range probeRows(r) {
			m.row(row[0], codeList(splitLines(row[1])))
		}
	}
	return m.flush(w)
}
