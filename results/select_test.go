package results

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// lines writes the records of rs (scan's, with keys, unless probe) to a
// file and returns its name.
func lines(t *testing.T, name string, probe bool, rs ...*scan.Result) string {
	t.Helper()
	var b bytes.Buffer
	for _, r := range rs {
		b.Write(encode(t, r, !probe))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func targetsOf(rs []*scan.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Target.String())
	}
	return out
}

func TestSelect(t *testing.T) {
	s := samples(t)
	scanA, scanB, refused, probe := s[0].r, s[1].r, s[3].r, s[6].r
	shard1 := lines(t, "1.jsonl", false, scanA, refused)
	shard2 := lines(t, "2.jsonl", false, scanB)
	probes := lines(t, "p.jsonl", true, probe)
	for _, c := range []struct {
		name    string
		sel     Selection
		want    []string // targets of the results, in order
		keyless int
		check   func(t *testing.T, got *Selected)
		err     func(error) bool
	}{
		{name: "every record, files in order", sel: Selection{Files: []string{shard2, shard1}},
			want: []string{"[2001:db8::1]:22", "web-1.example:2222", "192.0.2.12:23"}},
		{name: "named, in their order", sel: Selection{Files: []string{shard1, shard2},
			Targets: []target.Target{mustTarget(t, "192.0.2.12:23"), mustTarget(t, "[2001:db8::1]:22")}},
			want: []string{"192.0.2.12:23", "[2001:db8::1]:22"}},
		{name: "named twice, judged once", sel: Selection{Files: []string{shard1},
			Targets: []target.Target{mustTarget(t, "192.0.2.12:23"), mustTarget(t, "192.0.2.12:23")}},
			want: []string{"192.0.2.12:23"}},
		{name: "named without a record", sel: Selection{Files: []string{shard1},
			Targets: []target.Target{mustTarget(t, "192.0.2.99")}},
			want: []string{"192.0.2.99:22"},
			check: func(t *testing.T, got *Selected) {
				var me *MissingError
				if !errors.As(got.Results[0].Err, &me) || me.Error() != "no record of it in "+shard1 {
					t.Errorf("err %v, want a *MissingError naming the file", got.Results[0].Err)
				}
			}},
		{name: "stdin", sel: Selection{Files: []string{"-"}, Stdin: strings.NewReader(string(encode(t, scanB, true)))},
			want: []string{"[2001:db8::1]:22"}},
		{name: "probe record for check", sel: Selection{Files: []string{probes}, Mode: ForCheck},
			want: []string{"localhost:22"},
			check: func(t *testing.T, got *Selected) {
				var ke *KeylessError
				if !errors.As(got.Results[0].Err, &ke) || ke.File != probes || ke.Line != 1 {
					t.Errorf("err %v, want a *KeylessError at %s:1", got.Results[0].Err, probes)
				}
			}},
		{name: "probe record for audit", sel: Selection{Files: []string{probes}, Mode: ForAudit},
			want: []string{"localhost:22"}, keyless: 1},
		{name: "hello only", sel: Selection{Files: []string{lines(t, "inc.jsonl", false, s[2].r)}, Mode: ForHello},
			want: []string{"192.0.2.11:22"},
			check: func(t *testing.T, got *Selected) {
				r := got.Results[0]
				if r.Err != nil || r.Keys != nil || r.NotRetrieved != nil || r.Connections != 1 {
					t.Errorf("hello only: %+v, want no keys, no error, one connection", r)
				}
			}},
		{name: "nothing in the files", sel: Selection{Files: []string{lines(t, "empty.jsonl", false)}},
			err: func(err error) bool { var ee *EmptyError; return errors.As(err, &ee) && !ee.Named }},
		{name: "no named target in the shard", sel: Selection{Files: []string{shard1},
			Targets: []target.Target{mustTarget(t, "192.0.2.12:23")}, Shard: otherShard(t, mustTarget(t, "192.0.2.12:23"))},
			err: func(err error) bool {
				var ee *EmptyError
				return errors.As(err, &ee) && ee.Error() == "no target of this shard to judge"
			}},
		{name: "missing file", sel: Selection{Files: []string{shard1 + ".gone"}},
			err: func(err error) bool {
				var fe *FileError
				return errors.As(err, &fe) && errors.Is(err, os.ErrNotExist) && strings.HasPrefix(err.Error(), "cannot read results: ")
			}},
		{name: "bad line", sel: Selection{Files: []string{"-"}, Stdin: strings.NewReader("{}\n")},
			err: func(err error) bool {
				var re *ReadError
				return errors.As(err, &re) && re.File == "stdin" && re.Line == 1
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Select(context.Background(), c.sel)
			if c.err != nil {
				if !c.err(err) {
					t.Fatalf("Select: %v, %v; not the error wanted", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := targetsOf(got.Results); !equal(g, c.want) || got.Keyless != c.keyless || got.Interrupted {
				t.Errorf("Select = %q, %d keyless, interrupted %v; want %q, %d", g, got.Keyless, got.Interrupted, c.want, c.keyless)
			}
			if c.check != nil {
				c.check(t, got)
			}
		})
	}
}

// A shard picks the records it would have scanned.
func TestSelectShard(t *testing.T) {
	s := samples(t)
	var rs []*scan.Result
	for _, x := range s {
		rs = append(rs, x.r)
	}
	file := lines(t, "all.jsonl", false, rs...)
	total := 0
	for i := uint32(1); i <= 3; i++ {
		sh := target.Shard{I: i, N: 3}
		got, err := Select(context.Background(), Selection{Files: []string{file}, Shard: sh})
		var ee *EmptyError
		if errors.As(err, &ee) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Results {
			if !sh.Has(r.Target) {
				t.Errorf("shard %v picked %s", sh, r.Target)
			}
		}
		total += len(got.Results)
	}
	if total != len(rs) {
		t.Errorf("the shards picked %d records, want %d", total, len(rs))
	}
}

// An interrupt while stdin still has not ended returns what was read.
func TestSelectInterrupted(t *testing.T) {
	s := samples(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	pw.Write(encode(t, s[0].r, true))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := Select(ctx, Selection{Files: []string{"-"}, Stdin: pr})
	if err != nil || !got.Interrupted {
		t.Fatalf("Select = %+v, %v; want interrupted", got, err)
	}
}

// otherShard is a shard of 2 that does not hold t.
func otherShard(tb testing.TB, t target.Target) target.Shard {
	for i := uint32(1); i <= 2; i++ {
		if sh := (target.Shard{I: i, N: 2}); !sh.Has(t) {
			return sh
		}
	}
	tb.Fatal("no shard")
	return target.Shard{}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
