package audit

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Options tune the ratings where reasonable auditors disagree.
type Options struct {
	// NISTCurvesFail rates NIST P-curve key exchanges, ECDSA host key
	// algorithms and ECDSA keys fail, as ssh-audit does, instead of warn.
	NISTCurvesFail bool
	// RequirePostQuantum rates a server without a post-quantum key exchange
	// fail instead of warn.
	RequirePostQuantum bool
}

// Finding is one line of an audit. Direction is set for ciphers and MACs
// (and Terrapin), empty otherwise.
type Finding struct {
	Severity  Severity `json:"severity"`
	Category  Category `json:"category"`
	Algorithm string   `json:"algorithm"`
	Direction string   `json:"direction,omitempty"`
	Reason    string   `json:"reason"`
}

// Report is the audit of one server.
type Report struct {
	Findings []Finding      `json:"findings"`
	Terrapin TerrapinResult `json:"terrapin"`
	// PostQuantumKex lists the post-quantum key exchanges offered, in the
	// server's order; empty means the server is not post-quantum ready.
	PostQuantumKex []string `json:"post_quantum_kex"`
	// GEX is what was measured of the group exchange, when offered.
	GEX *GroupExchange `json:"gex,omitempty"`
	// Fixes are the sshd_config lines that would remove what failed: for
	// OpenSSH, or when the banner is not known.
	Fixes []Fix `json:"fixes,omitempty"`
	// Advice is what to change in the server's own terms (dropbear's
	// localoptions.h, paramiko's and AsyncSSH's settings, x/crypto's
	// ServerConfig, "upgrade" where nothing can be set), and what to add
	// (a post-quantum hybrid, an Ed25519 host key).
	Advice []Advice `json:"advice,omitempty"`
}

// Server is everything known of one server: its KEXINIT, what its banner
// says, the host keys collected and the group-exchange measures.
type Server struct {
	KexInit *kexinit.KexInit
	Banner  string // the version line, for the software's own fix syntax
	Keys    []HostKey
	// KeysCollected: a key scan ran (Keys may still be empty); false when
	// only the KEXINIT was read.
	KeysCollected bool
	GEX           *GroupExchange // nil: not measured
}

// Audit rates every algorithm a server offers, in the server's order, then
// its host keys, its Terrapin exposure and its post-quantum readiness, and
// derives the sshd_config lines that would fix what failed. keys may be nil
// when only the KEXINIT is known (a probe without a scan).
func Audit(k *kexinit.KexInit, keys []HostKey, opts Options) *Report {
	return AuditServer(&Server{KexInit: k, Keys: keys, KeysCollected: keys != nil}, opts)
}

// AuditServer is Audit with everything a run collected: the measured
// group exchange and the banner, which picks the fix syntax.
func AuditServer(s *Server, opts Options) *Report {
	k, keys := s.KexInit, s.Keys
	if k == nil {
		k = &kexinit.KexInit{}
	}
	r := &Report{Findings: []Finding{}, PostQuantumKex: []string{}}
	for _, n := range dedup(k.KexAlgos) {
		r.Findings = append(r.Findings, algFinding(Kex, n, "", opts))
	}
	for _, n := range dedup(k.ServerHostKeyAlgos) {
		r.Findings = append(r.Findings, algFinding(HostKeyAlg, n, "", opts))
	}
	for _, d := range directions(k.CiphersClientServer, k.CiphersServerClient) {
		r.Findings = append(r.Findings, algFinding(Cipher, d.name, d.dir, opts))
	}
	for _, d := range directions(k.MACsClientServer, k.MACsServerClient) {
		r.Findings = append(r.Findings, algFinding(MAC, d.name, d.dir, opts))
	}
	for _, d := range directions(k.CompressionClientServer, k.CompressionServerClient) {
		r.Findings = append(r.Findings, algFinding(Compression, d.name, d.dir, opts))
	}
	r.Findings = append(r.Findings, gexFindings(k, s.GEX)...)
	r.GEX = s.GEX
	r.Findings = append(r.Findings, keyFindings(keys, opts)...)

	r.Terrapin = CheckTerrapin(k)
	r.Findings = append(r.Findings, terrapinFindings(r.Terrapin)...)

	r.PostQuantumKex = PostQuantumKex(k)
	r.Findings = append(r.Findings, pqFinding(r.PostQuantumKex, opts))

	r.Fixes = fixes(k, r.Terrapin, opts)
	if s.Banner != "" {
		r.Advice = advise(s, k, r, opts)
		if sw, _ := SoftwareOf(s.Banner); sw != OpenSSH {
			// sshd_config lines are OpenSSH's; the advice speaks the
			// server's own language.
			r.Fixes = nil
		}
	}
	return r
}

// Rate is the rating of one name after Options: the table's rating, made
// fail for NIST curves when asked.
func Rate(cat Category, name string, opts Options) Algorithm {
	a := Lookup(cat, name)
	if opts.NISTCurvesFail && isNIST(name) && (a.Rating == Warn || a.Rating == OK) {
		a.Rating = Fail
		a.Reason += " (NIST curves rated fail)"
	}
	return a
}

func algFinding(cat Category, name, dir string, opts Options) Finding {
	a := Rate(cat, name, opts)
	return Finding{Severity: a.Rating, Category: cat, Algorithm: name, Direction: dir, Reason: a.Reason}
}

type dirName struct{ name, dir string }

// directions merges the two directions of a name-list pair into one walk in
// the server's order: client-to-server first, then names only the other
// direction offers. Servers almost always send the same list twice, and a
// report that rated each name twice would hide the one that differs.
func directions(c2s, s2c []string) []dirName {
	c2s, s2c = dedup(c2s), dedup(s2c)
	var out []dirName
	for _, n := range c2s {
		d := ClientToServer
		if slices.Contains(s2c, n) {
			d = Both
		}
		out = append(out, dirName{n, d})
	}
	for _, n := range s2c {
		if !slices.Contains(c2s, n) {
			out = append(out, dirName{n, ServerToClient})
		}
	}
	return out
}

// PostQuantumKex lists the post-quantum key exchanges a server offers that
// are rated ok, and the standard ML-KEM hybrids over NIST curves (rated warn
// for the curve, not for their post-quantum half): a withdrawn or
// pre-standard one does not make a server ready.
func PostQuantumKex(k *kexinit.KexInit) []string {
	out := []string{}
	if k == nil {
		return out
	}
	for _, n := range dedup(k.KexAlgos) {
		if a := Lookup(Kex, n); a.PostQuantum && (a.Rating == OK || strings.HasPrefix(n, "mlkem")) {
			out = append(out, n)
		}
	}
	return out
}

func pqFinding(pq []string, opts Options) Finding {
	f := Finding{Category: PostQuantum, Algorithm: strings.Join(pq, ",")}
	if len(pq) > 0 {
		f.Severity = OK
		f.Reason = "post-quantum hybrid key exchange offered"
		return f
	}
	f.Severity = Warn
	if opts.RequirePostQuantum {
		f.Severity = Fail
	}
	f.Reason = "no post-quantum key exchange offered: recorded sessions may be decrypted later; OpenSSH 10.1+ clients warn on every connection"
	return f
}
