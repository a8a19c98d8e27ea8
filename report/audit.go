package report

import (
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/results"
	"github.com/sshpin/sshpin/scan"
)

// AuditResult is one target's audit: the scan it rests on, the ratings,
// and the policy's verdict when a policy was given.
type AuditResult struct {
	Scan    *scan.Result
	Report  *audit.Report   // nil when the target gave no KEXINIT
	Policy  []audit.Finding // nil without a policy
	Verdict *audit.Verdict  // nil without a policy
	Clones  []string        // other targets of this run presenting one of its keys
}

// AuditRecord is one target's JSON line: the scan record plus the audit.
type AuditRecord struct {
	results.Record
	Audit   *audit.Report   `json:"audit,omitempty"`
	Policy  []audit.Finding `json:"policy,omitempty"`
	Verdict *audit.Verdict  `json:"policy_verdict,omitempty"`
	Clones  []string        `json:"same_key_as,omitempty"`
	Worst   audit.Severity  `json:"worst,omitempty"`
}

// HostKeys adapts scanned keys to what audit rates.
func HostKeys(keys []scan.Key) []audit.HostKey {
	var out []audit.HostKey
	for _, k := range keys {
		hk := audit.HostKey{Type: k.Type, Bits: k.Bits}
		if k.Key != nil {
			hk.Blob = k.Key.Marshal()
			if c, ok := k.Key.(*ssh.Certificate); ok {
				hk.Blob = c.Key.Marshal()
			}
		}
		if k.Cert != nil {
			hk.Cert = &audit.CertInfo{CAType: k.Cert.CAType, CABits: scan.Bits(k.Cert.Cert.SignatureKey)}
		}
		out = append(out, hk)
	}
	return out
}

// AuditKeys are the keys audit rates: every key the scan proved, and the
// keys this client refused to parse (an RSA exponent over 24 bits), rated
// from the blob the server sent in the clear and marked as not proved.
func AuditKeys(r *scan.Result) []audit.HostKey {
	out := HostKeys(r.Keys)
	for _, n := range r.NotRetrieved {
		typ, b64, ok := strings.Cut(n.PublicKey, " ")
		if !ok {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		out = append(out, audit.HostKey{Type: typ, Blob: blob, Unproved: true})
	}
	return out
}

// Findings are the audit's and the policy's findings together.
func (a *AuditResult) Findings() []audit.Finding {
	if a.Report == nil {
		return a.Policy
	}
	return slices.Concat(a.Report.Findings, a.Policy)
}

// Worst is the worst severity among the findings, clones included ("" when
// there is nothing to rate).
func (a *AuditResult) Worst() audit.Severity {
	var worst audit.Severity
	for _, f := range a.Findings() {
		if worst == "" || f.Severity.AtLeast(worst) {
			worst = f.Severity
		}
	}
	if len(a.Clones) > 0 && (worst == "" || audit.Warn.AtLeast(worst)) {
		worst = audit.Warn
	}
	return worst
}

// NewAuditRecord builds the JSON line.
func NewAuditRecord(a *AuditResult) AuditRecord {
	return AuditRecord{Record: results.NewRecord(a.Scan, true), Audit: a.Report, Policy: a.Policy, Verdict: a.Verdict, Clones: a.Clones, Worst: a.Worst()}
}

// SameKeys finds host keys presented by more than one target of a run:
// machines cloned from one image share their host keys, and with them the
// ability to impersonate each other. It returns, per target index, the
// other targets sharing a key with it.
func SameKeys(results []*scan.Result) map[int][]string {
	owners := map[string][]int{}
	for i, r := range results {
		if r == nil {
			continue
		}
		seen := map[string]bool{}
		for _, k := range r.Keys {
			fp := k.SHA256
			if k.Cert != nil {
				continue // the plain key of the same type carries the identity
			}
			if !seen[fp] {
				seen[fp] = true
				owners[fp] = append(owners[fp], i)
			}
		}
	}
	out := map[int][]string{}
	for _, idx := range owners {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			for _, j := range idx {
				name := results[j].Target.String()
				if j != i && results[j].Target.String() != results[i].Target.String() && !slices.Contains(out[i], name) {
					out[i] = append(out[i], name)
				}
			}
		}
	}
	return out
}

// AuditTable renders one target's audit for a person: every finding in the
// server's order, then Terrapin, post-quantum readiness, key reuse and the
// sshd_config lines that would fix what failed. A reason goes on a line of
// its own under its row when the row would not fit.
func AuditTable(w io.Writer, a *AuditResult) error {
	r := a.Scan
	width := WidthOf(w)
	head := Safe(r.Target.String())
	if r.Hello != nil {
		head += "  " + Safe(r.Hello.Banner.Raw)
	}
	if a.Report == nil {
		_, err := io.WriteString(w, wrapText(fmt.Sprintf("%s: error: %s", head, Safe(scan.Describe(r.Err))), width)+"\n")
		return err
	}
	if _, err := io.WriteString(w, wrapText(fmt.Sprintf("%s  (worst: %s)", head, a.Worst()), width)); err != nil {
		return err
	}
	t := newTable(w, "RATING", "CATEGORY", "ALGORITHM", "DIR", "REASON").under(4, "", true)
	for _, f := range a.Findings() {
		if err := t.Append([]string{string(f.Severity), string(f.Category), Safe(f.Algorithm), shortDir(f.Direction), Safe(f.Reason)}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	_, err := io.WriteString(w, wrapText(auditNotes(a), width)+"\n")
	return err
}

// auditNotes are the lines after the table.
func auditNotes(a *AuditResult) string {
	r := a.Scan
	var b strings.Builder
	tp := a.Report.Terrapin
	switch {
	case tp.Exposed:
		fmt.Fprintf(&b, "terrapin (CVE-2023-48795): EXPOSED")
		for _, v := range tp.Vectors {
			fmt.Fprintf(&b, "; %s", v.String())
		}
		b.WriteString("\n")
	case len(tp.Vectors) > 0:
		b.WriteString("terrapin (CVE-2023-48795): mitigated by strict key exchange (kex-strict-s-v00@openssh.com)\n")
	default:
		b.WriteString("terrapin (CVE-2023-48795): not exposed (no chacha20-poly1305, no CBC with EtM)\n")
	}
	if gx := a.Report.GEX; gx != nil {
		b.WriteString(gexLine(gx))
	}
	if v := a.Verdict; v != nil {
		fmt.Fprintf(&b, "policy %s: %s", Safe(v.Policy), v.Result)
		switch {
		case v.Result == audit.PolicyFailed:
			fmt.Fprintf(&b, " (%s)", plural(v.Failures, "finding"))
		case v.Unchecked > 0:
			fmt.Fprintf(&b, " (%s could not be checked)", plural(v.Unchecked, "item"))
		}
		b.WriteString("\n")
	}
	if len(a.Report.PostQuantumKex) > 0 {
		fmt.Fprintf(&b, "post-quantum kex: %s\n", strings.Join(a.Report.PostQuantumKex, ", "))
	} else {
		b.WriteString("post-quantum kex: none offered\n")
	}
	for _, c := range a.Clones {
		fmt.Fprintf(&b, "same host key as: %s (cloned image? each machine needs its own keys)\n", Safe(c))
	}
	for _, n := range r.NotRetrieved {
		fmt.Fprintf(&b, "key not retrieved: %s: %s\n", Safe(n.Type), Safe(n.Reason))
	}
	for i, f := range a.Report.Fixes {
		if i == 0 {
			b.WriteString("fix in sshd_config:\n")
		}
		fmt.Fprintf(&b, "  %s\n", f.Line)
		if f.Explicit != "" && f.Explicit != f.Line {
			fmt.Fprintf(&b, "    or, where the list is set explicitly: %s\n", f.Explicit)
		}
		if f.Note != "" {
			fmt.Fprintf(&b, "    (%s)\n", f.Note)
		}
	}
	for i, x := range a.Report.Advice {
		if i == 0 {
			sw := string(x.Software)
			if sw == "" {
				sw = "this server"
			}
			fmt.Fprintf(&b, "advice for %s:\n", sw)
		}
		fmt.Fprintf(&b, "  %s: %s\n", x.Kind, Safe(x.Text))
	}
	return b.String()
}

// AuditPlain is one line per finding: target, rating, category,
// algorithm, direction, then the reason as free text; then one line per
// note (terrapin, post-quantum, same-key, not-retrieved, fix).
func AuditPlain(w io.Writer, a *AuditResult) error {
	name := plainField(a.Scan.Target.String())
	var b strings.Builder
	if a.Report == nil {
		fmt.Fprintf(&b, "%s error - - - %s\n", name, Safe(scan.Describe(a.Scan.Err)))
	} else {
		for _, f := range a.Findings() {
			fmt.Fprintf(&b, "%s %s %s %s %s %s\n", name, f.Severity, f.Category, plainField(f.Algorithm), plainField(shortDir(f.Direction)), Safe(f.Reason))
		}
		for _, l := range strings.Split(strings.TrimSpace(auditNotes(a)), "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasSuffix(l, ":") {
				continue
			}
			fmt.Fprintf(&b, "%s note - - - %s\n", name, Safe(l))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// gexLine sums up the group-exchange measures on one line.
func gexLine(gx *audit.GroupExchange) string {
	if gx.Skipped != "" {
		return "group exchange moduli: not measured (" + Safe(gx.Skipped) + ")\n"
	}
	part := func(who string, m *audit.ModulusMeasure) string {
		switch {
		case m == nil:
			return ""
		case m.Measured():
			return fmt.Sprintf("%s %d bits", who, m.Bits)
		case m.Broken:
			return who + " broke the exchange"
		}
		return who + " not measured"
	}
	parts := []string{part("modern client", gx.Modern)}
	if gx.Smallest != nil && (gx.Modern == nil || *gx.Smallest != *gx.Modern) {
		parts = append(parts, part("smallest given", gx.Smallest))
	}
	return "group exchange moduli: " + strings.Join(parts, ", ") + "\n"
}

// AuditMarkdown is one section per target.
func AuditMarkdown(w io.Writer, a *AuditResult) error {
	m := &md{}
	head := a.Scan.Target.String()
	if a.Report == nil {
		m.heading(head)
		m.para("error: " + scan.Describe(a.Scan.Err))
		return m.flush(w)
	}
	m.heading(fmt.Sprintf("%s (worst: %s)", head, a.Worst()))
	if a.Scan.Hello != nil {
		m.para(a.Scan.Hello.Banner.Raw)
	}
	m.header("rating", "category", "algorithm", "direction", "reason")
	for _, f := range a.Findings() {
		rating := string(f.Severity)
		if f.Severity == audit.Fail {
			rating = "**fail**"
		}
		m.row(rating, string(f.Category), code(f.Algorithm), shortDir(f.Direction), mdCell(f.Reason))
	}
	m.end()
	m.b.WriteString("```\n" + auditNotes(a) + "```\n\n")
	return m.flush(w)
}

func shortDir(d string) string {
	switch d {
	case "client_to_server":
		return "c2s"
	case "server_to_client":
		return "s2c"
	}
	return d
}
