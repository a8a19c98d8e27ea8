package negotiate

import (
	"slices"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
)

// Slot is one of the eight negotiations of RFC 4253 §7.1.
type Slot string

const (
	SlotKex            Slot = "kex"
	SlotHostKey        Slot = "host_key"
	SlotCipherC2S      Slot = "cipher_client_to_server"
	SlotCipherS2C      Slot = "cipher_server_to_client"
	SlotMACC2S         Slot = "mac_client_to_server"
	SlotMACS2C         Slot = "mac_server_to_client"
	SlotCompressionC2S Slot = "compression_client_to_server"
	SlotCompressionS2C Slot = "compression_server_to_client"
)

// Implicit is the MAC of a direction whose cipher is AEAD: the MAC lists are
// still exchanged but no MAC is negotiated or used.
const Implicit = "implicit"

// NoCommonAlgorithm is the Reason of every Failure.
const NoCommonAlgorithm = "no common algorithm"

// Result is a simulated negotiation.
type Result struct {
	Client string `json:"client"`
	// OK: every slot found an algorithm; the handshake would get past
	// algorithm negotiation.
	OK       bool      `json:"ok"`
	Choices  []Choice  `json:"choices"`
	Failures []Failure `json:"failures,omitempty"`
}

// Choice is what one slot settled on; Algorithm is empty when it failed.
type Choice struct {
	Slot      Slot   `json:"slot"`
	Algorithm string `json:"algorithm"`
}

// Failure is a slot with no algorithm both sides offer, and what would fix it.
type Failure struct {
	Slot     Slot           `json:"slot"`
	Category audit.Category `json:"category"`
	Reason   string         `json:"reason"`
	Client   []string       `json:"client"`
	Server   []string       `json:"server"`
	// ClientFix is the client option that would make the slot succeed, or,
	// when ClientCanFix is false, a plain statement that none exists.
	ClientFix    string `json:"client_fix"`
	ClientCanFix bool   `json:"client_can_fix"`
	// ServerFix is the sshd_config line (OpenSSH syntax) that would make it
	// succeed, naming an algorithm the client offers.
	ServerFix string `json:"server_fix"`
}

// Chosen returns the algorithm a slot settled on, "" if it failed.
func (r *Result) Chosen(s Slot) string {
	for _, c := range r.Choices {
		if c.Slot == s {
			return c.Algorithm
		}
	}
	return ""
}

// Negotiate runs RFC 4253 §7.1 over a server's KEXINIT and a client profile:
// in each slot the chosen algorithm is the first one on the client's list
// that the server also offers. Unlike a real client it does not stop at the
// first failure, so that one run names every slot that needs a fix.
func Negotiate(server *kexinit.KexInit, client Profile) *Result {
	if server == nil {
		server = &kexinit.KexInit{}
	}
	n := negotiation{r: &Result{Client: client.Name, OK: true, Choices: []Choice{}}, client: client, server: server}
	// Markers announce extensions; RFC 8308 and OpenSSH's strict-kex
	// document forbid negotiating them, so they are taken out of both sides.
	n.pick(SlotKex, audit.Kex, audit.WithoutMarkers(client.KexAlgos), audit.WithoutMarkers(server.KexAlgos))
	// RFC 4253 §7.1 wants a host key algorithm compatible with the chosen
	// kex. Every kex method here signs the exchange hash with the host key,
	// so any signature-capable host key algorithm (all of them) will do.
	n.pick(SlotHostKey, audit.HostKeyAlg, client.HostKeyAlgos, server.ServerHostKeyAlgos)
	c2s := n.pick(SlotCipherC2S, audit.Cipher, client.Ciphers, server.CiphersClientServer)
	s2c := n.pick(SlotCipherS2C, audit.Cipher, client.Ciphers, server.CiphersServerClient)
	n.mac(SlotMACC2S, c2s, client.MACs, server.MACsClientServer)
	n.mac(SlotMACS2C, s2c, client.MACs, server.MACsServerClient)
	n.pick(SlotCompressionC2S, audit.Compression, client.Compression, server.CompressionClientServer)
	n.pick(SlotCompressionS2C, audit.Compression, client.Compression, server.CompressionServerClient)
	return n.r
}

type negotiation struct {
	r      *Result
	client Profile
	server *kexinit.KexInit
}

// mac skips the MAC negotiation under an AEAD cipher, as OpenSSH and
// x/crypto do: its lists may then share no name at all.
func (n *negotiation) mac(slot Slot, cipher string, client, server []string) {
	if audit.IsAEAD(cipher) {
		n.r.Choices = append(n.r.Choices, Choice{Slot: slot, Algorithm: Implicit})
		return
	}
	n.pick(slot, audit.MAC, client, server)
}

func (n *negotiation) pick(slot Slot, cat audit.Category, client, server []string) string {
	for _, c := range client {
		if slices.Contains(server, c) {
			n.r.Choices = append(n.r.Choices, Choice{Slot: slot, Algorithm: c})
			return c
		}
	}
	n.r.OK = false
	n.r.Choices = append(n.r.Choices, Choice{Slot: slot})
	f := Failure{Slot: slot, Category: cat, Reason: NoCommonAlgorithm,
		Client: nonNil(client), Server: nonNil(server)}
	f.ClientFix, f.ClientCanFix = clientFix(n.client, cat, f.Server)
	f.ServerFix = serverFix(cat, f.Client, n.server)
	n.r.Failures = append(n.r.Failures, f)
	return ""
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return slices.Clone(l)
}
