package knownhosts

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Severity of a Problem.
type Severity string

const (
	SeverityError   Severity = "error"   // OpenSSH skips the line, or trust is wrong
	SeverityWarning Severity = "warning" // works, but not as the author likely meant
)

// Problem is one finding of Lint.
type Problem struct {
	File     string
	Line     int
	Severity Severity
	Msg      string
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Lint reports, by line: lines OpenSSH would skip and why; unknown key
// types; host patterns that can never match; negation-only host lists;
// certificates pinned as plain keys; duplicate entries; a host pinned with
// two different keys of one type; a host pinned both hashed and plain; and
// a key both revoked and trusted. Hosts are compared by literal name (plain
// or hashed), not through wildcards, which exist to cover many hosts.
func (f *File) Lint() []Problem {
	lt := &linter{f: f, seen: make(map[string]bool)}
	for _, l := range f.Lines {
		lt.line(l)
	}
	lt.duplicates()
	lt.revokedTrusted()
	lt.perHost()
	slices.SortStableFunc(lt.out, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return lt.out
}

// maxHashComparisons bounds Lint's plain-versus-hashed pass, about a
// quarter of a second of HMACs on this project's machine.
const maxHashComparisons = 200_000

type linter struct {
	f    *File
	out  []Problem
	seen map[string]bool // line and message, so a finding is made once
}

func (lt *linter) add(l *Line, sev Severity, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if k := fmt.Sprint(l.Num, msg); !lt.seen[k] {
		lt.seen[k] = true
		lt.out = append(lt.out, Problem{File: lt.f.Name, Line: l.Num, Severity: sev, Msg: msg})
	}
}

func (lt *linter) line(l *Line) {
	switch {
	case l.Kind == Invalid:
		msg := l.Err.Error()
		if se, ok := l.Err.(*SyntaxError); ok {
			msg = se.Msg
		}
		lt.add(l, SeverityError, "%s", msg)
		return
	case l.Kind != Entry:
		return
	case l.Key == nil:
		lt.add(l, SeverityWarning, "unknown key type %q: the line is kept but matches nothing", l.KeyType)
	}
	if _, ok := l.Key.(*ssh.Certificate); ok && l.Marker != MarkerRevoked {
		lt.add(l, SeverityError, "a certificate is pinned as a key, which never matches: ssh reports the host's key as CHANGED; pin its CA with %s instead", MarkerCA)
	}
	if l.Marker == MarkerRevoked {
		if hosts := l.Raw[l.hostsStart:l.hostsEnd]; hosts != "*" {
			lt.add(l, SeverityWarning, "ssh applies this revocation only to hosts matching %q, sshpin to every host: write * to say so", hosts)
		}
		return
	}
	if l.Hashed {
		return
	}
	positive, negative := 0, 0
	for _, p := range l.Hosts {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		switch {
		case p == "" && neg:
			lt.add(l, SeverityWarning, "\"!\" negates nothing")
			continue
		case p == "":
			lt.add(l, SeverityWarning, "empty pattern in the host list")
			continue
		case neg:
			negative++
		default:
			positive++
		}
		if len(p) >= maxSubpattern {
			lt.add(l, SeverityWarning, "a pattern of %d bytes: OpenSSH stops at %d and then matches no host on the whole line", len(p), maxSubpattern-1)
			continue
		}
		if why := neverMatches(p); why != "" {
			lt.add(l, SeverityWarning, "pattern %q never matches: %s", p, why)
		}
	}
	if positive == 0 && negative > 0 {
		lt.add(l, SeverityWarning, "the host list only negates: it matches no host")
	}
}

// neverMatches says why OpenSSH can never match a (non-negated) pattern
// against the names it looks hosts up by, "host" and "[host]:port".
func neverMatches(p string) string {
	wild := strings.ContainsAny(p, "*?")
	switch {
	case p[0] == '|':
		return "a hashed host must be the whole hosts field"
	case wild:
		return ""
	case p[0] == '[':
		end := strings.Index(p, "]")
		switch {
		case end < 0:
			return "unclosed bracket"
		case end == len(p)-1:
			return "brackets are for a port: [host]:port"
		case p[end+1:] == ":22":
			return "port 22 is written without brackets, as the bare host"
		case !strings.HasPrefix(p[end+1:], ":") || !isDigits(p[end+2:]):
			return "bad port"
		}
	case strings.Contains(p, "]"):
		return "stray bracket"
	case strings.Contains(p, ":"):
		if _, err := netip.ParseAddr(p); err != nil {
			return "a port is written [host]:port"
		}
	}
	return ""
}

// duplicates finds entries identical in marker, hosts and key.
func (lt *linter) duplicates() {
	first := make(map[string]*Line)
	for _, l := range lt.f.Lines {
		if l.Kind != Entry {
			continue
		}
		hosts := l.Raw[l.hostsStart:l.hostsEnd]
		if !l.Hashed {
			hosts = lower(hosts)
		}
		if l.Marker == MarkerRevoked {
			hosts = "" // the field plays no part
		}
		k := l.Marker + " " + hosts + " " + l.KeyType + " " + keyText(l)
		if prev, ok := first[k]; ok {
			lt.add(l, SeverityWarning, "duplicate of line %d", prev.Num)
			continue
		}
		first[k] = l
	}
}

func keyText(l *Line) string {
	if l.Key == nil {
		sc := &scanner{s: l.Raw, pos: l.hostsEnd}
		sc.word()
		b64, _ := sc.word()
		return b64
	}
	return string(l.Key.Marshal())
}

// revokedTrusted finds keys a @revoked line names that another line trusts.
func (lt *linter) revokedTrusted() {
	revoked := lt.f.revoked()
	for _, l := range lt.f.Lines {
		if l.Kind != Entry || l.Key == nil || l.Marker == MarkerRevoked {
			continue
		}
		for _, r := range revoked {
			if plainBlob(r.Key) == plainBlob(l.Key) {
				lt.add(l, SeverityError, "this key is revoked at line %d", r.Num)
				break
			}
		}
	}
}

// perHost compares the entries that name each plainly named host literally
// (by that name, or hashed): same key twice, two keys of one type, hashed
// and plain side by side.
func (lt *linter) perHost() {
	var names []HostPort
	literal := make(map[HostPort][]*Line) // the lines listing each name
	hashedLines := 0
	for _, l := range lt.f.Lines {
		if l.Kind != Entry || l.Key == nil || l.Marker == MarkerRevoked {
			continue
		}
		if l.Hashed {
			hashedLines++
			continue
		}
		for _, p := range l.Hosts {
			hp, ok := literalName(p)
			if !ok || slices.Contains(literal[hp], l) {
				continue
			}
			if literal[hp] == nil {
				names = append(names, hp)
			}
			literal[hp] = append(literal[hp], l)
		}
	}
	// Comparing plain names with hashed lines costs one HMAC per pair; on
	// a large mixed file that is minutes, so past a budget lint says it
	// skipped the comparison instead of taking them.
	hashed := hashedLines > 0
	if hashed && len(names)*hashedLines > maxHashComparisons {
		hashed = false
		lt.out = append(lt.out, Problem{File: lt.f.Name, Severity: SeverityWarning,
			Msg: fmt.Sprintf("%d plain names and %d hashed lines: not compared for conflicts (over %d comparisons)", len(names), hashedLines, maxHashComparisons)})
	}
	for _, hp := range names {
		var named []*Line
		for _, l := range literal[hp] {
			if lt.f.named(l, hp) {
				named = append(named, l)
			}
		}
		if hashed {
			named = merge(named, lt.f.matchHashedLines(hp))
		}
		if len(named) > 1 {
			lt.compare(hp, named)
		}
	}
}

// matchHashedLines are the usable hashed lines that name hp.
func (f *File) matchHashedLines(hp HostPort) []*Line {
	var out []*Line
	for _, l := range f.Lines {
		if l.Hashed && l.Kind == Entry && l.Key != nil && l.Marker != MarkerRevoked && l.matches(hp.String()) {
			out = append(out, l)
		}
	}
	return out
}

// merge joins two lists of lines in file order, without repeats.
func merge(a, b []*Line) []*Line {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, func(x, y *Line) int { return x.Num - y.Num })
	return slices.Compact(out)
}

func (lt *linter) compare(hp HostPort, named []*Line) {
	var hashed, plain *Line
	for i, l := range named {
		if l.Marker == "" && l.Hashed && hashed == nil {
			hashed = l
		}
		if l.Marker == "" && !l.Hashed && plain == nil {
			plain = l
		}
		// One finding per line: the same key earlier, else a different key
		// of the same type earlier.
		var same, other *Line
		for _, prev := range named[:i] {
			switch {
			case prev.Marker != l.Marker:
			case sameKey(prev.Key, l.Key) && same == nil:
				same = prev
			case l.Marker == "" && prev.Key.Type() == l.Key.Type() && !sameKey(prev.Key, l.Key) && other == nil:
				other = prev
			}
		}
		switch {
		case same != nil:
			if !lt.seen[fmt.Sprint(l.Num, fmt.Sprintf("duplicate of line %d", same.Num))] {
				lt.add(l, SeverityWarning, "%s: this key is already pinned at line %d", hp, same.Num)
			}
		case other != nil:
			lt.add(l, SeverityError, "%s: conflicting %s key: line %d pins a different one", hp, l.Key.Type(), other.Num)
		}
	}
	if hashed != nil && plain != nil {
		later, other, what := hashed, plain, "plain"
		if plain.Num > hashed.Num {
			later, other, what = plain, hashed, "hashed"
		}
		lt.add(later, SeverityWarning, "%s is also pinned by a %s entry at line %d", hp, what, other.Num)
	}
}
