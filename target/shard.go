package target

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Shard is one share of a target list, I of N: the targets whose FNV-1a
// hash of host:port, modulo N, is I-1. It depends on nothing but the
// target, so N machines given the same list (in any order, with any
// duplicates) split it exactly, with no coordination. The zero Shard (and
// any of N <= 1) holds every target.
type Shard struct{ I, N uint32 }

// ShardError is a shard that does not read as I/N with 1 <= I <= N.
type ShardError struct{ Input string }

func (e *ShardError) Error() string {
	return fmt.Sprintf("target: shard %q: want I/N with 1 <= I <= N", e.Input)
}

// ParseShard reads "I/N"; "" is the zero Shard, every target.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, &ShardError{s}
	}
	i, err1 := strconv.ParseUint(is, 10, 32)
	n, err2 := strconv.ParseUint(ns, 10, 32)
	if err1 != nil || err2 != nil || i < 1 || i > n {
		return Shard{}, &ShardError{s}
	}
	return Shard{uint32(i), uint32(n)}, nil
}

// String is "I/N", or "" for the zero Shard: what ParseShard reads back.
func (s Shard) String() string {
	if s == (Shard{}) {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Has reports whether t is in s.
func (s Shard) Has(t Target) bool {
	if s.N <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(t.String()))
	return h.Sum32()%s.N == s.I-1
}

// Of is the targets of ts in s, in their order.
func (s Shard) Of(ts []Target) []Target {
	var out []Target
	for _, t := range ts {
		if s.Has(t) {
			out = append(out, t)
		}
	}
	return out
}
