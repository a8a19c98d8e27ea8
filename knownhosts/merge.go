package knownhosts

import (
	"errors"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// MergeOptions say how Plan pins keys.
type MergeOptions struct {
	Hash    bool // write host names hashed, as ssh-keyscan -H does
	Replace bool // replace a pinned key that differs instead of failing
}

// Change is a planned edit of a file, for showing a diff and then Apply.
type Change struct {
	Host    string
	Port    int
	Name    string // the host as it is written: "host" or "[host]:port"
	Options MergeOptions

	Added     []ssh.PublicKey // offered keys not pinned yet: Apply appends them
	Unchanged []*Line         // pins of offered keys, hashed or plain: left alone
	Replaced  []Replacement   // pins of an offered type with a key not offered
	Append    []string        // the lines Apply appends, exactly as written

	file *File
	gen  uint64
}

// Replacement is a pinned key of a type the server offered, but not the
// key it offered.
type Replacement struct {
	Old *Line
	// New is the offered key of Old's type. It is nil when the offered key
	// of that type is pinned too and Old is merely stale: not a conflict,
	// removed only with Replace.
	New ssh.PublicKey
	// Keep is Old as Replace leaves it: without this host when Old also
	// names others, "" when Replace drops the whole line.
	Keep string
	// Shared: Old matches this host through a pattern that covers other
	// hosts too, so Replace cannot take the host out of it.
	Shared bool
}

// Conflict reports whether a pinned key differs from the offered one.
func (c *Change) Conflict() bool {
	for _, r := range c.Replaced {
		if r.New != nil {
			return true
		}
	}
	return false
}

func (c *Change) blocked() bool {
	for _, r := range c.Replaced {
		if r.New != nil && (!c.Options.Replace || r.Shared) {
			return true
		}
	}
	return false
}

func (c *Change) removes() bool {
	if !c.Options.Replace {
		return false
	}
	for _, r := range c.Replaced {
		if !r.Shared {
			return true
		}
	}
	return false
}

// Empty reports whether Apply would leave the file as it is.
func (c *Change) Empty() bool { return len(c.Append) == 0 && !c.removes() }

// Plan works out how to pin keys for host on port. A key already pinned
// for the host, by a plain, hashed or pattern entry, is left as it is; a
// new one is appended. A pinned key of an offered type that differs from the
// offered key is a conflict: Plan returns a *ConflictError holding the
// Change unless opts.Replace, and even then when the old key is pinned by a
// pattern that other hosts share. Pinning a revoked key is a *RevokedError.
// A line that names the host (or, off port 22, the bare host) but cannot be
// read blocks the change with an *UnreadableError: ssh may read it, and a
// key appended beside it would override a pin ssh enforces.
//
// keys are plain host keys; a host certificate is trusted through its CA,
// which belongs on a @cert-authority line.
//
// The host is looked up by its exact name: keys OpenSSH would only find
// through its bare-host fallback (Match.PortFallback) are not this name's,
// and pinning "[host]:port" explicitly ends that fallback.
func (f *File) Plan(host string, port int, keys []ssh.PublicKey, opts MergeOptions) (*Change, error) {
	host, err := normalizeHost(host, port)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("knownhosts: no keys to pin")
	}
	revoked := f.revoked()
	var offered []ssh.PublicKey
	for _, k := range keys {
		if l := revokedBy(revoked, k); l != nil {
			return nil, &RevokedError{Key: k, Line: l}
		}
		if !containsKey(offered, k) {
			offered = append(offered, k)
		}
	}
	lines := f.matchLines(host, port)
	named := lines
	if port != 22 {
		named = append(slices.Clone(lines), f.matchLines(host, 22)...)
	}
	if bad := uniq(unreadable(named)); len(bad) > 0 {
		return nil, &UnreadableError{Name: hostName(host, port), Lines: bad}
	}
	var pins []ssh.PublicKey
	offeredTypes := make(map[string]bool)
	c := &Change{Host: host, Port: port, Name: hostName(host, port), Options: opts, file: f, gen: f.gen}
	for _, k := range offered {
		offeredTypes[k.Type()] = true
	}
	for _, l := range lines {
		if !l.pinned() {
			continue
		}
		pins = append(pins, l.Key)
		if containsKey(offered, l.Key) {
			c.Unchanged = append(c.Unchanged, l)
		}
	}
	newOfType := make(map[string]ssh.PublicKey)
	for _, k := range offered {
		if containsKey(pins, k) {
			continue
		}
		c.Added = append(c.Added, k)
		if newOfType[k.Type()] == nil {
			newOfType[k.Type()] = k
		}
		field := c.Name
		if opts.Hash {
			field = xknownhosts.HashHostname(c.Name)
		}
		c.Append = append(c.Append, xknownhosts.Line([]string{field}, k))
	}
	for _, l := range lines {
		if !l.pinned() || containsKey(offered, l.Key) || !offeredTypes[l.Key.Type()] {
			continue
		}
		keep, shared, err := f.takeOut(l, host, port)
		if err != nil {
			return nil, err
		}
		c.Replaced = append(c.Replaced, Replacement{Old: l, New: newOfType[l.Key.Type()], Keep: keep, Shared: shared})
	}
	if c.blocked() {
		return nil, &ConflictError{Change: c}
	}
	return c, nil
}

func containsKey(keys []ssh.PublicKey, k ssh.PublicKey) bool {
	for _, x := range keys {
		if sameKey(x, k) {
			return true
		}
	}
	return false
}

// takeOut returns l's text without host:port in its hosts field ("" when
// nothing would be left to match), or shared when l matches the host by a
// pattern that taking out a literal name does not change.
func (f *File) takeOut(l *Line, host string, port int) (keep string, shared bool, err error) {
	if l.Hashed {
		return "", false, nil // a hashed field is this one host
	}
	want := HostPort{host, port}
	var kept []string
	removed, positive := false, false
	for _, p := range l.Hosts {
		if hp, ok := literalName(p); ok && hp == want {
			removed = true
			continue
		}
		kept = append(kept, p)
		positive = positive || (p != "" && p[0] != '!')
	}
	if !removed {
		return "", true, nil
	}
	if !positive {
		return "", false, nil
	}
	keep = l.Raw[:l.hostsStart] + strings.Join(kept, ",") + l.Raw[l.hostsEnd:]
	rest := &File{Name: f.Name, Lines: []*Line{parseLine(f.Name, 1, keep, "")}}
	if len(rest.matchLines(host, port)) > 0 {
		return "", true, nil
	}
	return keep, false, nil
}

// Apply makes the planned change: with Replace, replaced lines are dropped
// or lose this host, and new lines go at the end in the file's line ending.
// A last line without a line ending gets one first, or the new entry would
// be glued to it. Every other line stays byte for byte and keeps its
// identity; Num follows the new layout.
func (f *File) Apply(c *Change) error {
	if c.file != f || c.gen != f.gen {
		return errors.New("knownhosts: the change was planned against another version of the file")
	}
	if c.blocked() {
		return &ConflictError{Change: c}
	}
	if c.Empty() {
		return nil
	}
	drop := make(map[*Line]Replacement)
	if c.Options.Replace {
		for _, r := range c.Replaced {
			if !r.Shared {
				drop[r.Old] = r
			}
		}
	}
	var out []*Line
	for _, l := range f.Lines {
		r, ok := drop[l]
		switch {
		case !ok:
			out = append(out, l)
		case r.Keep != "":
			out = append(out, parseLine(f.Name, l.Num, r.Keep, l.EOL))
		}
	}
	if len(c.Append) > 0 {
		eol := f.eol()
		if n := len(out); n > 0 && out[n-1].EOL == "" {
			last := *out[n-1]
			last.EOL = eol
			out[n-1] = &last
		}
		for _, s := range c.Append {
			out = append(out, parseLine(f.Name, 0, s, eol))
		}
	}
	for i, l := range out {
		l.Num = i + 1
		if se, ok := l.Err.(*SyntaxError); ok && se.Line != l.Num {
			l.Err = &SyntaxError{File: se.File, Line: l.Num, Msg: se.Msg}
		}
	}
	f.Lines = out
	f.changed()
	return nil
}

// eol is the line ending new lines get: the one the file ends its lines
// with, "\n" for a file that has none.
func (f *File) eol() string {
	for i := len(f.Lines) - 1; i >= 0; i-- {
		if e := f.Lines[i].EOL; e != "" {
			return e
		}
	}
	return "\n"
}
