package results

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// Mode is what a judge needs of the records it reads.
type Mode int

const (
	// ForCheck: keys are what check judges, so a record without any
	// cannot be verified (its result fails with a *KeylessError).
	ForCheck Mode = iota
	// ForAudit: keys are rated when the record has them.
	ForAudit
	// ForHello: the hello alone, as a probe would have read it; keys and
	// what failed after the hello are dropped (see WithoutKeys).
	ForHello
)

// Selection is which records a run judges, and from where.
type Selection struct {
	Files []string  // JSON Lines files, in order; "-" is Stdin
	Stdin io.Reader // read for "-"
	// Targets picks the records of these targets, in this order; none
	// picks every record, in the files' order.
	Targets []target.Target
	Shard   target.Shard
	Mode    Mode
	Limits  ReadLimits // zero fields: DefaultReadLimits'
}

// Selected is what Select picked.
type Selected struct {
	Results []*scan.Result
	// Keyless is how many picked records hold no keys (a probe's) in
	// ForAudit mode: their hello is rated, not their host keys.
	Keyless int
	// Interrupted is true when the context ended the reading: Results is
	// what was read so far, in the files' order.
	Interrupted bool
}

// FileError is a results file that could not be opened.
type FileError struct {
	Name string
	Err  error
}

// The text is the one the CLI has always printed, which scripts match.
func (e *FileError) Error() string { return "cannot read results: " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// KeylessError is the result of a record that holds no keys, in ForCheck
// mode: a probe's record, which cannot verify pins.
type KeylessError struct {
	File string
	Line int
}

func (e *KeylessError) Error() string {
	return fmt.Sprintf("%s:%d holds no keys: it is a probe's record, not a scan's", e.File, e.Line)
}

// MissingError is the result of a named target no record speaks of.
type MissingError struct{ Files []string }

func (e *MissingError) Error() string { return "no record of it in " + strings.Join(e.Files, ", ") }

// EmptyError is a selection that picked nothing to judge.
type EmptyError struct {
	Files []string
	Named bool // targets were named: none of them is in the shard
}

func (e *EmptyError) Error() string {
	if e.Named {
		return "no target of this shard to judge"
	}
	return "no record to judge in " + strings.Join(e.Files, ", ")
}

// hostPort keys a target by what it reaches: "Web-1:22" and "web-1" are
// one target.
type hostPort struct {
	host string
	port int
}

func keyOf(t target.Target) hostPort { return hostPort{t.Host, t.Port} }

// Select reads sel's records back into results and keeps those the run
// judges: every record, in the order of the files and of their lines,
// when no target is named; else the records of the named targets, in the
// order they were named, and for a named target no record speaks of a
// failed result of its own (a *MissingError). The shard applies as it does
// to a scan. Nothing reaches the network.
//
// A line that is not a record fails the whole selection, with a
// *ReadError naming file:line; a selection that picks nothing is an
// *EmptyError. When ctx ends first (a pipe on stdin that does not end),
// Select returns what was read so far, Interrupted set.
func Select(ctx context.Context, sel Selection) (*Selected, error) {
	wanted := map[hostPort]bool{}
	for _, t := range sel.Targets {
		wanted[keyOf(t)] = true
	}
	var mu sync.Mutex
	var picked []*scan.Result
	keyless := 0
	done := make(chan error, 1)
	go func() {
		rd := Reader{Limits: sel.Limits}
		for _, name := range sel.Files {
			err := readFile(&rd, sel.Stdin, name, func(ld Loaded) error {
				r := ld.Result
				if (len(wanted) > 0 && !wanted[keyOf(r.Target)]) || !sel.Shard.Has(r.Target) {
					return nil
				}
				switch {
				case sel.Mode == ForHello:
					WithoutKeys(r)
				case !ld.Keyed && sel.Mode == ForCheck:
					r.Err = &KeylessError{ld.File, ld.Line}
				case !ld.Keyed:
					keyless++
				}
				mu.Lock()
				picked = append(picked, r)
				mu.Unlock()
				return nil
			})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		return &Selected{Results: slices.Clone(picked), Interrupted: true}, nil
	}
	out := &Selected{Results: picked, Keyless: keyless}
	if len(sel.Targets) > 0 {
		// In the order the targets were named, as a scan of them would
		// judge them; the records of one target in the files' order. A
		// shard's file is in the order its scan finished the targets.
		byTarget := map[hostPort][]*scan.Result{}
		for _, r := range picked {
			k := keyOf(r.Target)
			byTarget[k] = append(byTarget[k], r)
		}
		out.Results = nil
		placed := map[hostPort]bool{}
		for _, t := range sel.Targets {
			k := keyOf(t)
			if placed[k] || !sel.Shard.Has(t) {
				continue
			}
			placed[k] = true
			if rs := byTarget[k]; len(rs) > 0 {
				out.Results = append(out.Results, rs...)
			} else {
				out.Results = append(out.Results, &scan.Result{Target: t, Err: &MissingError{sel.Files}})
			}
		}
	}
	if len(out.Results) == 0 {
		return nil, &EmptyError{Files: sel.Files, Named: len(sel.Targets) > 0}
	}
	return out, nil
}

// readFile reads one results file, or stdin for "-".
func readFile(rd *Reader, stdin io.Reader, name string, fn func(Loaded) error) error {
	if name == "-" {
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		return rd.Read(stdin, "stdin", fn)
	}
	f, err := os.Open(name)
	if err != nil {
		return &FileError{name, err}
	}
	defer f.Close()
	return rd.Read(f, name, fn)
}

// WithoutKeys makes a scan's result what a probe of the same server would
// have read: its hello, one connection, and none of what failed after the
// hello (a key type that could not be retrieved). A result without a
// KEXINIT is left as is: its failure came before the hello ended.
func WithoutKeys(r *scan.Result) {
	if r.Hello == nil || r.Hello.KexInit == nil {
		return
	}
	r.Keys, r.NotRetrieved, r.Err = nil, nil, nil
	r.Connections = min(r.Connections, 1)
}
