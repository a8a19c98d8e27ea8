package negotiate

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/audit"
)

// Profile is a client's algorithm lists as it sends them in its KEXINIT,
// markers included, and what it implements beyond them.
type Profile struct {
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	KexAlgos     []string `json:"kex_algorithms"`
	HostKeyAlgos []string `json:"server_host_key_algorithms"`
	Ciphers      []string `json:"ciphers"`
	MACs         []string `json:"macs"`
	Compression  []string `json:"compression"`
	// Enable says, per algorithm category (audit.Kex, audit.HostKeyAlg,
	// audit.Cipher, audit.MAC, audit.Compression), how a user makes the
	// client offer more.
	Enable map[audit.Category]Enabling `json:"enable"`
	// SetHostKeyAlgorithms is how a user replaces the host key algorithm
	// list: {list} stands for the names comma-joined, {quoted} for them
	// quoted and comma-separated, {others} for the profile's other host key
	// algorithms, quoted (for clients that can only disable names).
	SetHostKeyAlgorithms string `json:"set_host_key_algorithms"`
	// PrefersPinnedTypes: the client moves the key types it already has
	// for a host to the front of its host key algorithms, so it cannot
	// negotiate an unpinned type while a pinned one is offered.
	PrefersPinnedTypes bool `json:"prefers_pinned_types"`
}

// Enabling is how one category of a client can be extended.
type Enabling struct {
	// Available are the names the client implements but does not offer by
	// default, in the order it would prefer them.
	Available []string `json:"available,omitempty"`
	// Option adds one of them; {name} stands for the algorithm.
	Option string `json:"option,omitempty"`
	// Otherwise is what to tell a user when nothing in Available helps.
	Otherwise string `json:"otherwise"`
}

// Add renders Option for one algorithm.
func (e Enabling) Add(name string) string { return strings.ReplaceAll(e.Option, "{name}", name) }

// setHostKeys renders SetHostKeyAlgorithms for a list.
func (p Profile) setHostKeys(list []string) string {
	others := slices.DeleteFunc(slices.Clone(p.HostKeyAlgos), func(n string) bool { return slices.Contains(list, n) })
	r := strings.NewReplacer("{list}", strings.Join(list, ","), "{quoted}", quote(list), "{others}", quote(others))
	return r.Replace(p.SetHostKeyAlgorithms)
}

func quote(list []string) string {
	q := make([]string, len(list))
	for i, n := range list {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}

// profiles are built once; Profiles and ProfileByName hand out copies.
var profiles = []Profile{
	xcryptoProfile(),
	xcryptoLegacyProfile(),
	xcryptoDefaultProfile(),
	openSSH10,
	openSSH92,
	openSSH74,
	paramiko3,
	paramiko4,
	paramiko5,
	dropbear202283,
	putty078,
}

// Profiles returns every client profile, this binary's first.
func Profiles() []Profile {
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		out[i] = p.clone()
	}
	return out
}

// ProfileByName finds a profile by its Name.
func ProfileByName(name string) (Profile, bool) {
	for _, p := range profiles {
		if p.Name == name {
			return p.clone(), true
		}
	}
	return Profile{}, false
}

// ProfileNames lists the profile names in Profiles' order.
func ProfileNames() []string {
	var out []string
	for _, p := range profiles {
		out = append(out, p.Name)
	}
	return out
}

func (p Profile) clone() Profile {
	p.KexAlgos = slices.Clone(p.KexAlgos)
	p.HostKeyAlgos = slices.Clone(p.HostKeyAlgos)
	p.Ciphers = slices.Clone(p.Ciphers)
	p.MACs = slices.Clone(p.MACs)
	p.Compression = slices.Clone(p.Compression)
	en := make(map[audit.Category]Enabling, len(p.Enable))
	for c, e := range p.Enable {
		e.Available = slices.Clone(e.Available)
		en[c] = e
	}
	p.Enable = en
	return p
}

// list returns the profile's default list for a category.
func (p Profile) list(cat audit.Category) []string {
	switch cat {
	case audit.Kex:
		return p.KexAlgos
	case audit.HostKeyAlg:
		return p.HostKeyAlgos
	case audit.Cipher:
		return p.Ciphers
	case audit.MAC:
		return p.MACs
	}
	return p.Compression
}
