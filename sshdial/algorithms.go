package sshdial

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/internal/sshalgo"
	"github.com/sshpin/sshpin/knownhosts"
)

// algorithms are the explicit lists of a connection: sshalgo's, which
// scan offers too, with the ciphers ordered for speed on this machine
// (a connection moves bulk data; a scan only looks). x/crypto's defaults
// silently include SHA-1 algorithms; explicit lists keep them off unless
// the caller asked for Options.Legacy.
type algorithms struct {
	kex, ciphers, macs, hostKeys []string
}

func newAlgorithms(legacy bool) *algorithms {
	s := sshalgo.For(legacy)
	// Only the secure ciphers are reordered: the legacy ones stay last.
	sec := len(sshalgo.Default().Ciphers)
	ciphers := slices.Concat(sshalgo.PreferCiphers(s.Ciphers[:sec], sshalgo.FastAES), s.Ciphers[sec:])
	return &algorithms{kex: s.KeyExchanges, ciphers: ciphers, macs: s.MACs, hostKeys: s.HostKeys}
}

// hostKeysFor returns the host key algorithms to offer: for a pinned host
// only its pinned types (golang/go#29286: offering more lets a server that
// prefers an unpinned type fail as a mismatch), otherwise the plain ones.
func (a *algorithms) hostKeysFor(m *knownhosts.Match, o Options) ([]string, error) {
	if m.Found() && !o.InsecureAcceptAny {
		var out []string
		for _, algo := range knownhosts.HostKeyAlgorithms(m) {
			if slices.Contains(a.hostKeys, algo) {
				out = append(out, algo)
			}
		}
		if len(out) == 0 {
			e := &HostKeyError{Name: m.Name, Reason: KeyNoCommonType, Pinned: m.Types()}
			e.Legacy = !o.Legacy && anyIn(knownhosts.HostKeyAlgorithms(m), newAlgorithms(true).hostKeys)
			return nil, e
		}
		return out, nil
	}
	// A host nothing pins gets plain keys only: trust on first use pins a
	// key, and a certificate no CA vouches for proves nothing more.
	var out []string
	for _, algo := range sshalgo.PlainHostKeys {
		if slices.Contains(a.hostKeys, algo) {
			out = append(out, algo)
		}
	}
	for _, algo := range a.hostKeys {
		if !slices.Contains(out, algo) && !strings.Contains(algo, "-cert-") {
			out = append(out, algo)
		}
	}
	return out, nil
}

func anyIn(list, allowed []string) bool {
	return slices.ContainsFunc(list, func(a string) bool { return slices.Contains(allowed, a) })
}

func shared(ours, theirs, allowed []string) bool {
	for _, a := range ours {
		if slices.Contains(theirs, a) && slices.Contains(allowed, a) {
			return true
		}
	}
	return false
}
