package audit

import (
	"fmt"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// GroupExchange is what was measured of a server's Diffie-Hellman group
// exchange: a KEXINIT shows only that the server offers it, and the size of
// the group it hands out is read from the exchange itself (RFC 4419's
// plaintext GEX_GROUP).
type GroupExchange struct {
	// Algorithms are the group-exchange names the server offers; one
	// measure stands for all of them (servers pick groups by size, not
	// by hash).
	Algorithms []string `json:"algorithms"`
	// Modern is the group a modern client gets (min 2048, n 3072).
	Modern *ModulusMeasure `json:"modern,omitempty"`
	// Smallest is the group the server gives a client that accepts 1024.
	Smallest *ModulusMeasure `json:"smallest,omitempty"`
	// Skipped says why nothing was measured.
	Skipped string `json:"skipped,omitempty"`
}

// ModulusMeasure is one group request and its outcome.
type ModulusMeasure struct {
	Algorithm string               `json:"algorithm"`
	Request   kexinit.GroupRequest `json:"request"`
	Bits      int                  `json:"bits,omitempty"`
	Broken    bool                 `json:"broken,omitempty"` // the server failed the exchange it offered
	Error     string               `json:"error,omitempty"`  // why there is no size
	Generator string               `json:"generator,omitempty"`
}

// Measured reports whether the measure has a size.
func (m *ModulusMeasure) Measured() bool { return m != nil && m.Bits > 0 }

// NewGroupExchange converts what kexinit measured; nil for nil.
func NewGroupExchange(gx *kexinit.GroupExchange) *GroupExchange {
	if gx == nil {
		return nil
	}
	return &GroupExchange{Algorithms: gx.Offered, Modern: newMeasure(gx.Modern), Smallest: newMeasure(gx.Smallest)}
}

func newMeasure(m *kexinit.GroupMeasure) *ModulusMeasure {
	if m == nil {
		return nil
	}
	out := &ModulusMeasure{Algorithm: m.Algorithm, Request: m.Request}
	switch {
	case m.NotSent != "":
		out.Error = "not measured: " + m.NotSent
	case m.Err != nil:
		out.Error = strings.TrimPrefix(m.Err.Error(), "kexinit: ")
		out.Broken = m.Broken()
	case m.Group != nil:
		out.Bits = m.Group.Bits()
		if m.Group.G.BitLen() <= 64 {
			out.Generator = m.Group.G.String()
		}
	}
	return out
}

// Thresholds for a group's modulus: RFC 8270 makes 2048 bits the minimum;
// below 3072 it falls short of 128-bit security (NIST SP 800-57), as for
// RSA keys.
const (
	modulusFailBits = 2048
	modulusWarnBits = 3072
)

func rateModulus(bits int) Severity {
	switch {
	case bits < modulusFailBits:
		return Fail
	case bits < modulusWarnBits:
		return Warn
	}
	return OK
}

// gexFindings rates the measures. Nothing is said when the server offers no
// group exchange.
func gexFindings(k *kexinit.KexInit, gx *GroupExchange) []Finding {
	offered := kexinit.OfferedGEX(k)
	if len(offered) == 0 {
		return nil
	}
	alg := strings.Join(offered, ",")
	if gx == nil || gx.Skipped != "" {
		why := "not measured"
		if gx != nil {
			why += ": " + gx.Skipped
		}
		return []Finding{{Severity: Info, Category: Modulus, Algorithm: alg, Reason: why + "; the modulus size the server picks is unknown"}}
	}
	var out []Finding
	rate := func(m *ModulusMeasure, who string) {
		if m == nil {
			return
		}
		f := Finding{Category: Modulus, Algorithm: m.Algorithm}
		switch {
		case m.Broken:
			f.Severity = Fail
			f.Reason = fmt.Sprintf("the server offers %s but broke the exchange once it was chosen (%s): clients that prefer group exchange cannot connect", m.Algorithm, m.Error)
		case m.Measured():
			f.Severity = rateModulus(m.Bits)
			f.Reason = fmt.Sprintf("%s (%s) gets a %d-bit group", who, m.Request, m.Bits)
			if f.Severity == Fail {
				f.Reason += fmt.Sprintf(" (< %d, RFC 8270)", modulusFailBits)
			} else if f.Severity == Warn {
				f.Reason += fmt.Sprintf(" (< %d: 112-bit security)", modulusWarnBits)
			}
		default:
			f.Severity = Unknown
			f.Reason = who + ": " + m.Error
		}
		out = append(out, f)
	}
	rate(gx.Modern, "a modern client")
	if gx.Smallest != gx.Modern && !(gx.Smallest != nil && gx.Modern != nil && *gx.Smallest == *gx.Modern) {
		if gx.Smallest != nil && strings.HasPrefix(gx.Smallest.Error, "not measured: not asked") {
			return out // the modern request broke it or timed out: said once
		}
		rate(gx.Smallest, "a client that accepts 1024 bits")
	}
	return out
}

// SmallestModulus is the modulus size ssh-audit's dh_modulus_sizes records:
// the smallest group the server gives; but for OpenSSH up to 9.9, where a
// 2048-bit answer is what ssh-audit takes for OpenSSH's fallback group, the
// answer to a 3072-bit request instead, as ssh-audit re-tests. 0 when
// unknown.
func (gx *GroupExchange) SmallestModulus(banner string) int {
	if gx == nil || !gx.Smallest.Measured() {
		return 0
	}
	if gx.Smallest.Bits == 2048 && openSSHUpTo99(banner) && gx.Modern.Measured() {
		return gx.Modern.Bits
	}
	return gx.Smallest.Bits
}

// openSSHUpTo99 reads an OpenSSH version from a banner such as
// "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3".
func openSSHUpTo99(banner string) bool {
	_, v, ok := strings.Cut(banner, "OpenSSH_")
	if !ok {
		return false
	}
	var major, minor int
	if n, _ := fmt.Sscanf(v, "%d.%d", &major, &minor); n < 1 {
		return false
	}
	return major < 10
}
