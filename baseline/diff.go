package baseline

import (
	"slices"

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
			out = append(out, Change{field, Added, added})
		}
		if len(removed) > 0 {
			out = append(out, Change{field, Removed, removed})
		}
		if len(added) == 0 && len(removed) == 0 && !slices.Equal(was, *now) {
			out = append(out, Change{field, Reordered, slices.Clone(*now)})
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
