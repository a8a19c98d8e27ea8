package negotiate

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
)

// Pitfall is golang/go#29286: a client that does not order its host key
// algorithms by what it has pinned negotiates the server's key of another
// type, and the pinned-key check then fails as a mismatch although the
// pinned key is still there.
type Pitfall struct {
	// Negotiated is the host key algorithm the client would choose, and
	// NegotiatedType the type of key it uses.
	Negotiated     string   `json:"negotiated"`
	NegotiatedType string   `json:"negotiated_type"`
	Pinned         []string `json:"pinned"`
	// HostKeyAlgorithms is the list to set so that a pinned type is chosen,
	// in the client's order; empty when the server offers no pinned type.
	HostKeyAlgorithms []string `json:"host_key_algorithms"`
	// Option is how to set it on this client.
	Option string `json:"option,omitempty"`
	Reason string `json:"reason"`
}

// PinnedPitfall reports the pitfall for a client and the key types pinned
// for a host (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...: the types of
// the known_hosts lines). It returns nil when there is none: the client
// would pick a pinned type, the client puts pinned types first itself, or
// host key negotiation fails outright (Negotiate reports that).
func PinnedPitfall(server *kexinit.KexInit, client Profile, pinnedTypes []string) *Pitfall {
	if server == nil || len(pinnedTypes) == 0 || client.PrefersPinnedTypes {
		return nil
	}
	offered := server.ServerHostKeyAlgos
	i := slices.IndexFunc(client.HostKeyAlgos, func(a string) bool { return slices.Contains(offered, a) })
	if i < 0 {
		return nil
	}
	chosen := client.HostKeyAlgos[i]
	pinned := func(a string) bool { return slices.Contains(pinnedTypes, audit.KeyType(a)) }
	if pinned(chosen) {
		return nil
	}
	p := &Pitfall{Negotiated: chosen, NegotiatedType: audit.KeyType(chosen),
		Pinned: slices.Clone(pinnedTypes), HostKeyAlgorithms: []string{}}

	// Every default algorithm of a pinned type, so that the list survives
	// the server adding or dropping one; legacy ones (ssh-rsa with SHA-1)
	// only when nothing else of a pinned type is offered.
	list := slices.DeleteFunc(slices.Clone(client.HostKeyAlgos), func(a string) bool { return !pinned(a) })
	if !slices.ContainsFunc(list, func(a string) bool { return slices.Contains(offered, a) }) {
		for _, a := range client.Enable[audit.HostKeyAlg].Available {
			if pinned(a) && slices.Contains(offered, a) {
				list = append(list, a)
			}
		}
	}
	if !slices.ContainsFunc(list, func(a string) bool { return slices.Contains(offered, a) }) {
		p.Reason = "the server offers no host key algorithm of the pinned types (" + strings.Join(pinnedTypes, ", ") +
			"): the pinned key is gone or the pins are out of date"
		return p
	}
	p.HostKeyAlgorithms = list
	p.Option = client.setHostKeys(list)
	p.Reason = client.Name + " would negotiate " + chosen + " (a " + p.NegotiatedType +
		" key) and fail the pinned-key check as a mismatch; restrict its host key algorithms to the pinned types"
	return p
}
