package report

import (
	"fmt"
	"io"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/scan"
)

// ProbeTable renders one probe result: the banner, hasshServer and every
// name-list in the server's order, one name per line.
func ProbeTable(w io.Writer, r *scan.Result) error {
	head := r.Target.String()
	if r.Address != "" && r.Address != r.Target.Host {
		head += " (" + r.Address + ")"
	}
	if r.Err != nil {
		_, err := fmt.Fprintf(w, "%s: error: %s\n\n", head, Safe(scan.Describe(r.Err)))
		return err
	}
	if _, err := fmt.Fprintf(w, "%s\n", head); err != nil {
		return err
	}
	h := r.Hello
	t := newTable(w, "FIELD", "VALUE")
	rows := [][]string{{"banner", Safe(h.Banner.Raw)}, {"software", Safe(h.Banner.Software)}}
	if h.Banner.Comment != "" {
		rows = append(rows, []string{"comment", Safe(h.Banner.Comment)})
	}
	if h.PreambleLines > 0 {
		kept := safeList(h.Preamble)
		if h.PreambleLines > len(h.Preamble) {
			kept += fmt.Sprintf("\n(%d lines in all)", h.PreambleLines)
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
	rows = append(rows, []string{"first_kex_packet_follows", fmt.Sprint(h.KexInit.FirstKexFollows)})
	for _, row := range rows {
		if err := t.Append(row); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
