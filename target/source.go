package target

import (
	"errors"
	"hash/maphash"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// List is where a run's targets come from: Targets first (the command
// line's), then each of Files in order. Files are read as the run needs
// their targets, never held whole; "-" names Stdin.
type List struct {
	Targets []Target
	Files   []string
	Stdin   io.Reader

	// merged counts the duplicates the last Each skipped.
	merged int
}

// FileError is a target file that could not be opened or examined.
type FileError struct {
	Name string
	Err  error
}

// The text is the one the CLI has always printed, which scripts match.
func (e *FileError) Error() string { return "cannot read targets: " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// Merged is how many duplicates the last Each skipped: a target named
// twice is worked on once (a second scan would only cost the server
// another connection and the report a second copy).
func (l *List) Merged() int { return l.merged }

// Each calls fn for every distinct target in order, reading files as it
// goes; an error from fn stops it and is returned as is. A malformed line
// is a *Error naming file:line, a file that cannot be opened a *FileError.
func (l *List) Each(fn func(Target) error) error {
	// A hash of each host:port, not the targets themselves: a list of
	// millions is still not held whole. maphash's 64 bits make a collision
	// (a distinct target taken for a duplicate) vanishingly unlikely.
	seed := maphash.MakeSeed()
	seen := map[uint64]struct{}{}
	l.merged = 0
	once := func(t Target) error {
		h := maphash.String(seed, strings.ToLower(t.Host)+"\x00"+strconv.Itoa(t.Port))
		if _, dup := seen[h]; dup {
			l.merged++
			return nil
		}
		seen[h] = struct{}{}
		return fn(t)
	}
	for _, t := range l.Targets {
		if err := once(t); err != nil {
			return err
		}
	}
	for _, name := range l.Files {
		if err := l.eachInFile(name, once); err != nil {
			return err
		}
	}
	return nil
}

func (l *List) eachInFile(name string, fn func(Target) error) error {
	if name == "-" {
		stdin := l.Stdin
		if stdin == nil {
			stdin = strings.NewReader("")
		}
		return Each(stdin, "stdin", fn)
	}
	f, err := os.Open(name)
	if err != nil {
		return &FileError{name, err}
	}
	defer f.Close()
	return Each(f, name, fn)
}

// All reads every distinct target into memory, for a run judged as a
// whole: a malformed line fails before anything runs.
func (l *List) All() ([]Target, error) {
	var out []Target
	err := l.Each(func(t Target) error { out = append(out, t); return nil })
	return out, err
}

// Count reads the list once without keeping it, before anything reaches
// the network, so that a list with a typo on its last line fails whole
// (as ReadList promises) instead of half-running, and so that a progress
// line knows the total. It counts every target, and those of s. Standard
// input and pipes cannot be read twice: their lines are checked as they
// stream, and known is false.
func (l *List) Count(s Shard) (all, mine int, known bool, err error) {
	for _, name := range l.Files {
		if name == "-" {
			return 0, 0, false, nil
		}
		// Asked of the file system, not by opening name: opening a FIFO
		// waits for its writer, and closing it again breaks the writer's
		// pipe, so the targets it carried would be lost before they are
		// read. A file that cannot be stat'ed is opened below, which says
		// why it cannot be read.
		if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
			return 0, 0, false, nil
		}
	}
	err = l.Each(func(t Target) error {
		all++
		if s.Has(t) {
			mine++
		}
		return nil
	})
	return all, mine, err == nil, err
}

// errStop ends a stream whose consumer wants no more targets.
var errStop = errors.New("stop")

// Stream yields the list's targets in s, as read, until yield returns
// false (a scan.Source); read counts every target read, in s or not, and
// may be nil. It returns why the list stopped before its end, or nil.
func (l *List) Stream(s Shard, read *atomic.Int64) func(yield func(Target) bool) error {
	return func(yield func(Target) bool) error {
		err := l.Each(func(t Target) error {
			if read != nil {
				read.Add(1)
			}
			if s.Has(t) && !yield(t) {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	}
}
