package baseline

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Kind is how a list moved away from the baseline.
type Kind string

const (
	Added     Kind = "added"
	Removed   Kind = "removed"
	Reordered Kind = "reordered" // the same names in another order: a lower finding
)

// Change is one list's difference from the baseline.
type Change struct {
	Field      string   `json:"field"`
	Kind       Kind     `json:"kind"`
	Algorithms []string `json:"algorithms"`
	// Was is the recorded order, for a reordered list (Algorithms is the
	// order now).
	Was []string `json:"was,omitempty"`
}

// Diff compares what a server offers now with its baseline, list by list,
// in RFC order: names added, names removed, and, when neither, a new order.
func (h *Host) Diff(k *kexinit.KexInit) []Change {
	var out []Change
	for i, now := range k.Lists() {
		field := kexinit.FieldNames[i]
		was, ok := h.Lists[field]
		if !ok {
			continue
		}
		added := missingFrom(*now, was)
		removed := missingFrom(was, *now)
		if len(added) > 0 {
			out = append(out, Change{Field: field, Kind: Added, Algorithms: added})
		}
		if len(removed) > 0 {
			out = append(out, Change{Field: field, Kind: Removed, Algorithms: removed})
		}
		if len(added) == 0 && len(removed) == 0 && !slices.Equal(was, *now) {
			out = append(out, Change{Field: field, Kind: Reordered, Algorithms: slices.Clone(*now), Was: slices.Clone(was)})
		}
	}
	return out
}

// missingFrom lists the names of a that b lacks, in a's order.
func missingFrom(a, b []string) []string {
	var out []string
	for _, n := range a {
		if !slices.Contains(b, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// BannerChanged reports whether banner differs from the recorded one (a
// baseline without a banner line does not check it). tinysshd adds a
// random suffix to its version on every connection
// ("tinysshd_20240101_kH3qZ9"): that part is not compared.
func (h *Host) BannerChanged(banner string) bool {
	return h.Banner != "" && stableBanner(h.Banner) != stableBanner(banner)
}

func stableBanner(b string) string {
	if i := strings.Index(b, "tinysshd_"); i >= 0 {
		if j := strings.LastIndexByte(b, '_'); j > i+len("tinysshd_")-1 && strings.Count(b[i:], "_") >= 2 {
			return b[:j]
		}
	}
	return b
}

// hasshLists are the lists hasshServer is computed from.
var hasshLists = []string{"kex_algorithms", "encryption_algorithms_server_to_client",
	"mac_algorithms_server_to_client", "compression_algorithms_server_to_client"}

// HasshChanged reports whether hassh differs from the recorded one in a
// way the lists do not already tell: when the baseline keeps every list
// hasshServer is made of, Diff names the change itself (and a reorder
// stays a lower finding), so only a baseline missing one of them needs
// the fingerprint.
func (h *Host) HasshChanged(hassh string) bool {
	if h.HasshServer == "" || h.HasshServer == hassh {
		return false
	}
	for _, f := range hasshLists {
		if _, ok := h.Lists[f]; !ok {
			return true
		}
	}
	return false
}
