package target

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLine bounds one line of a target file; no host:port comes close.
const maxLine = 4096

// ReadList reads one target per line from r, skipping blank lines and #
// comments. name is used in errors ("hosts.txt:3"). It stops at the first
// bad line: a scan of a list with a typo in it should not half-run.
func ReadList(r io.Reader, name string) ([]Target, error) {
	var out []Target
	err := Each(r, name, func(t Target) error { out = append(out, t); return nil })
	return out, err
}

// Each calls fn for every target in r as it is read, so a long list never
// has to be held in memory.
func Each(r io.Reader, name string, fn func(Target) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxLine)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		// A trailing comment after the target, as in many inventory files,
		// after a space, a tab or nothing: no target holds a '#'.
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		t, err := Parse(s)
		if err != nil {
			var te *Error
			if errors.As(err, &te) {
				te.Source = fmt.Sprintf("%s:%d", name, line)
			}
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &Error{Source: fmt.Sprintf("%s:%d", name, line+1), Reason: fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		return fmt.Errorf("target: reading %s: %w", name, err)
	}
	return nil
}
