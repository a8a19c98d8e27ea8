// Package check decides what sshpin check reports: it diffs the host keys
// a server proved (scan) against what the pinned files say of the host
// (knownhosts), key type by key type, and sums a host up in a Verdict.
// It renders nothing; package report does.
package check

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/baseline"
	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/scan"
)

// Status is the verdict on one key type of one host.
type Status string

const (
	StatusOK          Status = "ok"
	StatusChanged     Status = "changed"       // a pinned type presents another key
	StatusNew         Status = "new"           // an offered type is not pinned
	StatusMissing     Status = "missing"       // a pinned type is no longer offered
	StatusRevoked     Status = "revoked"       // a @revoked line names the key or its CA
	StatusCertOK      Status = "cert-ok"       // a valid certificate from a pinned CA
	StatusCertInvalid Status = "cert-invalid"  // a pinned CA's certificate that does not verify
	StatusUnpinned    Status = "unpinned-host" // nothing in the file vouches for the host
	StatusUnverified  Status = "unverified"    // the host or a pinned type could not be checked
	// StatusTrusted is a key pinned by this very run (--trust-on-first-use):
	// it matches its pin because the pin was just written from it, which
	// proves nothing about the server. Never counted as ok.
	StatusTrusted Status = "trusted-first-use"
	// StatusBanner and StatusHassh are hello drift against a baseline: the
	// server's software, or its algorithm offer as a whole, changed.
	StatusBanner Status = "banner-changed"
	StatusHassh  Status = "hassh-changed"
)

// Verdict is the sum of one host's checks: the "status" of check --json.
type Verdict string

const (
	VerdictOK         Verdict = "ok"
	VerdictDrift      Verdict = "drift"      // a finding: the pins or the baseline disagree
	VerdictUnverified Verdict = "unverified" // the host could not be checked
	// VerdictTrusted is a host pinned by this very run: not ok, since
	// nothing was verified.
	VerdictTrusted Verdict = Verdict(StatusTrusted)
)

// Verdict sums a host up: drift wins over unverified, which wins over a
// host trusted on first use, which is not ok: nothing was verified.
func (h *Host) Verdict() Verdict {
	switch {
	case h.Drift():
		return VerdictDrift
	case h.Unverified():
		return VerdictUnverified
	case h.Trusted():
		return VerdictTrusted
	}
	return VerdictOK
}

// Drift reports whether s is a finding: everything but ok, cert-ok and
// unverified (which is a failure to check, not a finding).
func (s Status) Drift() bool {
	return s != StatusOK && s != StatusCertOK && s != StatusUnverified && s != StatusTrusted
}

// Key is one row of a check.
type Key struct {
	Status    Status `json:"status"`
	Type      string `json:"type"`
	Presented string `json:"presented,omitempty"` // SHA256 fingerprint of what the server proved
	Pinned    string `json:"pinned,omitempty"`    // SHA256 fingerprints pinned for the type, comma-joined
	Lines     []int  `json:"lines,omitempty"`     // the pinned file's lines involved
	Detail    string `json:"detail"`
}

// Host is the verdict on one host.
type Host struct {
	Scan   *scan.Result
	Name   string // the host as the pinned file names it
	Keys   []Key
	Algos  []baseline.Change // with a baseline: algorithm drift
	Hello  []Key             // with a baseline: banner-changed, hassh-changed
	Policy []audit.Finding   // with a policy: its verdicts; a fail is drift
}

// Drift reports whether any key or algorithm finding is drift.
func (h *Host) Drift() bool {
	return slices.ContainsFunc(h.Keys, func(k Key) bool { return k.Status.Drift() }) ||
		len(h.Hello) > 0 ||
		slices.ContainsFunc(h.Algos, func(a baseline.Change) bool { return a.Kind != baseline.Reordered }) ||
		slices.ContainsFunc(h.Policy, func(f audit.Finding) bool { return f.Severity == audit.Fail })
}

// Unverified reports whether the host, or one of its pinned types, could
// not be checked.
func (h *Host) Unverified() bool {
	return slices.ContainsFunc(h.Keys, func(k Key) bool { return k.Status == StatusUnverified })
}

// Trusted reports whether the host's keys were pinned by this run on first
// use.
func (h *Host) Trusted() bool {
	return slices.ContainsFunc(h.Keys, func(k Key) bool { return k.Status == StatusTrusted })
}

// MarkTrusted turns the ok rows of a host just pinned on first use into
// trusted-first-use rows: they match because they were just written.
func (h *Host) MarkTrusted(path string) {
	for i, k := range h.Keys {
		if k.Status == StatusOK {
			h.Keys[i].Status = StatusTrusted
			h.Keys[i].Detail = "pinned into " + path + " by this run, on first use: not verified. Check it out of band"
		}
	}
}

// Check diffs what a server proved against what the pinned file says of it.
func Diff(m *knownhosts.Match, r *scan.Result) *Host {
	h := &Host{Scan: r, Name: r.Target.KnownHostsName()}
	if len(r.Keys) == 0 && r.Err != nil {
		h.Keys = []Key{{Status: StatusUnverified, Detail: "could not verify: " + scan.Describe(r.Err)}}
		return h
	}
	if !m.Found() {
		// Revocation does not depend on the host: a revoked key is named as
		// such even where nothing else is pinned.
		var fps []string
		for _, k := range r.Keys {
			var rev *knownhosts.RevokedError
			if errors.As(m.Verify(k.Key), &rev) {
				h.Keys = append(h.Keys, *checkKey(m, nil, k, nil))
			} else if k.Cert == nil {
				fps = append(fps, k.Type+" "+k.SHA256)
			}
		}
		if len(fps) > 0 {
			h.Keys = append(h.Keys, Key{Status: StatusUnpinned, Detail: "nothing in the pinned file vouches for " + m.Name +
				"; it presents " + strings.Join(fps, ", ") + ". Verify them out of band, then sshpin pin"})
		}
		return h
	}
	byType := m.ByType()
	plainTypes := map[string]bool{}
	for _, k := range r.Keys {
		if k.Cert == nil {
			plainTypes[k.Type] = true
		}
	}
	certOK := false
	for _, k := range r.Keys {
		c := checkKey(m, byType, k, plainTypes)
		if c == nil {
			continue
		}
		certOK = certOK || c.Status == StatusCertOK
		h.Keys = append(h.Keys, *c)
	}
	if certOK {
		// A host its CA vouches for may offer plain keys nobody pinned, as
		// OpenSSH does not ask for them once it has a CA for the host.
		h.Keys = slices.DeleteFunc(h.Keys, func(k Key) bool { return k.Status == StatusNew })
	}
	for _, typ := range m.Types() {
		// The bare host's pins are not this port's: OpenSSH only borrows
		// them to accept a match, so a type they lack here is not missing.
		if plainTypes[typ] || m.PortFallback {
			continue
		}
		lines := byType[typ]
		c := Key{Type: typ, Pinned: fingerprints(lines), Lines: lineNums(lines)}
		if n := notRetrieved(r, typ); n != nil {
			c.Status, c.Detail = StatusUnverified, "offered but not retrieved: "+n.Reason
		} else if r.Hello != nil && r.Hello.KexInit != nil && offers(r.Hello.KexInit.ServerHostKeyAlgos, typ) {
			c.Status, c.Detail = StatusUnverified, "offered, but its handshake failed"
		} else {
			c.Status, c.Detail = StatusMissing, "pinned, but the server no longer offers "+typ
		}
		h.Keys = append(h.Keys, c)
	}
	return h
}

func checkKey(m *knownhosts.Match, byType map[string][]*knownhosts.Line, k scan.Key, plainTypes map[string]bool) *Key {
	c := &Key{Type: k.Type, Presented: k.SHA256}
	proof, err := m.Check(k.Key)
	var rev *knownhosts.RevokedError
	if errors.As(err, &rev) {
		c.Status, c.Lines = StatusRevoked, []int{rev.Line.Num}
		c.Detail = fmt.Sprintf("revoked at %s: never trust this key, whatever else the file says", rev.Line.Pos())
		return c
	}
	if cert, ok := k.Key.(*ssh.Certificate); ok {
		var certErr *knownhosts.CertError
		switch {
		case proof != nil && proof.CA:
			c.Lines = []int{proof.Line.Num}
			c.Status, c.Detail = StatusCertOK, fmt.Sprintf("certificate %q signed by the CA at %s", cert.KeyId, proof.Line.Pos())
			return c
		case proof != nil && proof.CertErr != nil:
			// OpenSSH retries an invalid certificate as its plain key,
			// and connects when that is pinned.
			c.Lines = []int{proof.Line.Num}
			c.Status = StatusOK
			c.Detail = fmt.Sprintf("the certificate from the CA at %s is not valid (%v), but its key matches the pin at %s, which OpenSSH then accepts",
				proof.CertErr.CA.Pos(), proof.CertErr.Err, proof.Line.Pos())
			return c
		case errors.As(err, &certErr):
			c.Lines = []int{certErr.CA.Num}
			c.Status, c.Detail = StatusCertInvalid, "certificate from the CA at "+certErr.CA.Pos()+" does not verify: "+certErr.Err.Error()+", and its key is not pinned"
			return c
		}
		if plainTypes[cert.Key.Type()] {
			// Its plain key is checked on its own row, unless only the
			// certificate is accepted: off port 22, OpenSSH retries a
			// certificate no CA for the port vouches for with the bare
			// host's CAs and then keys, which a plain key never reaches
			// when the port pins another.
			if err == nil && m.Verify(cert.Key) != nil {
				c.Lines = []int{proof.Line.Num}
				c.Status, c.Detail = StatusOK, "accepted as its key, pinned for the bare host at "+proof.Line.Pos()+" (as OpenSSH does when it asks for certificates)"
				return c
			}
			return nil
		}
		k = scan.NewKey(cert.Key, k.Algorithm)
		c.Type, c.Presented = k.Type, k.SHA256
		proof, err = m.Check(cert.Key)
	}
	lines := byType[k.Type]
	c.Pinned, c.Lines = fingerprints(lines), lineNums(lines)
	switch {
	case len(lines) == 0:
		c.Status, c.Detail = StatusNew, k.Type+" is offered but not pinned"
	case err == nil && proof.PortFallback:
		c.Status, c.Detail = StatusOK, "matches the key pinned for the bare host "+m.Name+" (OpenSSH accepts it without the port)"
	case err == nil:
		c.Status, c.Detail = StatusOK, "matches the pin"
	case m.PortFallback:
		// OpenSSH uses the bare host's keys only to accept a matching one;
		// a different key off port 22 is unknown there, not changed.
		c.Status, c.Pinned, c.Lines = StatusNew, "", nil
		c.Detail = fmt.Sprintf("not pinned for this port; the bare host %s pins another %s key, which OpenSSH does not hold against it", m.Name, k.Type)
	default:
		c.Status = StatusChanged
		c.Detail = fmt.Sprintf("the server proved a different %s key than the one pinned at %s: "+
			"a machine in the middle, or a reinstalled server. Do not connect; verify the new key out of band, then sshpin pin --replace",
			k.Type, positions(lines))
		if slices.ContainsFunc(lines, func(l *knownhosts.Line) bool { _, ok := l.Key.(*ssh.Certificate); return ok }) {
			c.Detail += "; a certificate pinned as a key never matches (pin its CA with @cert-authority)"
		}
	}
	return c
}

func authorityFor(m *knownhosts.Match, cert *ssh.Certificate) *knownhosts.Line {
	want := string(cert.SignatureKey.Marshal())
	for _, ca := range m.Authorities {
		if string(ca.Key.Marshal()) == want {
			return ca
		}
	}
	return nil
}

func notRetrieved(r *scan.Result, typ string) *scan.NotRetrieved {
	for i, n := range r.NotRetrieved {
		if n.Type == typ {
			return &r.NotRetrieved[i]
		}
	}
	return nil
}

// offers reports whether a server's host key algorithms include one that
// presents a key of type typ (ssh-rsa for every RSA signature algorithm).
func offers(algos []string, typ string) bool {
	for _, a := range algos {
		if a == typ || (typ == ssh.KeyAlgoRSA && (a == ssh.KeyAlgoRSASHA256 || a == ssh.KeyAlgoRSASHA512 ||
			strings.HasPrefix(a, "ssh-rsa-sha") && strings.HasSuffix(a, "@ssh.com"))) {
			return true
		}
	}
	return false
}

func fingerprints(lines []*knownhosts.Line) string {
	var fps []string
	for _, l := range lines {
		if fp := ssh.FingerprintSHA256(l.Key); !slices.Contains(fps, fp) {
			fps = append(fps, fp)
		}
	}
	return strings.Join(fps, ",")
}

func positions(lines []*knownhosts.Line) string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Pos())
	}
	return strings.Join(out, ", ")
}

func lineNums(lines []*knownhosts.Line) []int {
	var out []int
	for _, l := range lines {
		out = append(out, l.Num)
	}
	return out
}

// HelloDrift compares a server's version line and hasshServer with its
// baseline: software or configuration that changed is drift a person
// wants to know about, even when every key still matches.
func HelloDrift(bh *baseline.Host, hello *kexinit.Hello) []Key {
	var out []Key
	if bh.BannerChanged(hello.Banner.Raw) {
		out = append(out, Key{Status: StatusBanner, Type: "banner", Pinned: bh.Banner, Presented: hello.Banner.Raw,
			Detail: "the server's version line changed: other software, or another version of it"})
	}
	if hello.KexInit != nil {
		if now := hello.KexInit.HasshServer(); bh.HasshChanged(now) {
			out = append(out, Key{Status: StatusHassh, Type: "hassh_server", Pinned: bh.HasshServer, Presented: now,
				Detail: "the server's algorithm offer changed (its hasshServer differs; the baseline keeps no list to say which)"})
		}
	}
	return out
}
