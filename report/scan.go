package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sshpin/sshpin/scan"
)

// ScanTable renders scan results, in the order given, one row per key.
func ScanTable(w io.Writer, results []*scan.Result) error {
	t := newTable(w, "TARGET", "ADDRESS", "TYPE", "BITS", "FINGERPRINT", "NOTE")
	for _, r := range results {
		name := r.Target.String()
		for _, k := range r.Keys {
			if err := t.Append([]string{name, r.Address, k.Type, strconv.Itoa(k.Bits), k.SHA256, certNote(k.Cert)}); err != nil {
				return err
			}
		}
		for _, n := range r.NotRetrieved {
			if err := t.Append([]string{name, r.Address, Safe(n.Type), "", "(not retrieved)", Safe(n.Reason)}); err != nil {
				return err
			}
		}
		if r.Err != nil && len(r.NotRetrieved) == 0 {
			if err := t.Append([]string{name, r.Address, "", "", "", "error: " + Safe(scan.Describe(r.Err))}); err != nil {
				return err
			}
		}
	}
	return t.Render()
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
