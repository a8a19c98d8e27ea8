package target

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"", Shard{}, true},
		{"1/1", Shard{1, 1}, true},
		{"2/4", Shard{2, 4}, true},
		{"4/4", Shard{4, 4}, true},
		{"01/3", Shard{1, 3}, true},
		{"4294967295/4294967295", Shard{4294967295, 4294967295}, true},
		{"0/3", Shard{}, false},
		{"4/3", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"1/0", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"+1/3", Shard{}, false},
		{"1/3/4", Shard{}, false},
		{" 1/3", Shard{}, false},
		{"1/4294967296", Shard{}, false},
		{"/", Shard{}, false},
	} {
		got, err := ParseShard(c.in)
		if c.ok {
			if err != nil || got != c.want {
				t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		var se *ShardError
		if !errors.As(err, &se) || se.Input != c.in {
			t.Errorf("ParseShard(%q) = %v, %v; want a *ShardError for it", c.in, got, err)
		}
	}
}

// Shards partition a list exactly: every target in exactly one shard of
// N, whatever N, and none empty.
func TestShardsPartition(t *testing.T) {
	var list []Target
	for i := range 1000 {
		tg, err := Parse(fmt.Sprintf("10.%d.%d.%d:%d", i/65536, i/256%256, i%256, 22+i%3))
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, tg)
	}
	for _, n := range []uint32{1, 2, 3, 7, 16} {
		counts := make([]int, n)
		for _, tg := range list {
			in := 0
			for i := uint32(1); i <= n; i++ {
				if (Shard{i, n}).Has(tg) {
					in++
					counts[i-1]++
				}
			}
			if in != 1 {
				t.Fatalf("N=%d: %s is in %d shards", n, tg, in)
			}
		}
		if n > 1 && slices.Contains(counts, 0) {
			t.Errorf("N=%d: an empty shard of 1000 targets: %v", n, counts)
		}
		total := 0
		for i := uint32(1); i <= n; i++ {
			total += len(Shard{i, n}.Of(list))
		}
		if total != len(list) {
			t.Errorf("N=%d: Of gave %d targets in all, want %d", n, total, len(list))
		}
	}
	if got := len(Shard{}.Of(list)); got != len(list) {
		t.Errorf("the zero Shard holds %d of %d targets", got, len(list))
	}
}

// A shard depends on host:port only: the same server written two ways is
// in the same shard.
func TestShardBySpelling(t *testing.T) {
	a, _ := Parse("web-1")
	b, _ := Parse("web-1:22")
	for i := uint32(1); i <= 5; i++ {
		if (Shard{i, 5}).Has(a) != (Shard{i, 5}).Has(b) {
			t.Errorf("shard %d/5 holds one of %q and %q", i, a.Raw, b.Raw)
		}
	}
}

// FuzzParseShard: --shard is user input. ParseShard never panics, fails
// only with a *ShardError, accepts only 1 <= I <= N, and what it accepts
// prints as something that parses back to the same shard.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"", "1/1", "2/4", "0/3", "4/3", "1", "a/b", "1/0", "-1/3", "+1/3",
		"1/3/4", "01/3", "4294967295/4294967295", "1/4294967296", "/", "1/", "/1", "١/٢", "1\x00/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			var se *ShardError
			if !errors.As(err, &se) {
				t.Fatalf("ParseShard(%q) error %T, want *ShardError", s, err)
			}
			return
		}
		if s == "" {
			if sh != (Shard{}) {
				t.Fatalf(`ParseShard("") = %v`, sh)
			}
			return
		}
		if sh.I < 1 || sh.I > sh.N {
			t.Fatalf("ParseShard(%q) = %v: I out of 1..N", s, sh)
		}
		back, err := ParseShard(sh.String())
		if err != nil || back != sh {
			t.Fatalf("ParseShard(%q) = %v; its String %q parses to %v, %v", s, sh, sh.String(), back, err)
		}
	})
}
