// Package baseline records what servers offered when they were pinned
// (banner, hasshServer, the ten KEXINIT name-lists) in a text file people
// can read, diff in review and edit by hand, so that check can report
// algorithm drift next to key drift.
//
// The format, one section per host, in the order pinned:
//
//	# comments and blank lines are kept
//	[host:port]
//	banner = SSH-2.0-OpenSSH_9.6
//	hassh_server = 0123456789abcdef0123456789abcdef
//	kex_algorithms = curve25519-sha256,ecdh-sha2-nistp256
//	server_host_key_algorithms = ssh-ed25519,rsa-sha2-512
//	...
//
// Every list is comma-separated in the server's order, under its RFC 4253
// name. A list left out of a section is not checked: deleting a line is how
// a reader says "don't care".
package baseline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Host is one server's recorded offer.
type Host struct {
	Name        string // host:port, [v6]:port
	Line        int    // where its section starts, for messages
	Banner      string
	HasshServer string
	Lists       map[string][]string // by kexinit.FieldNames; absent: not checked
}

// File is a parsed baseline. Comments and blank lines before a section
// stay with it; those after the last section are the Trailer.
type File struct {
	Name    string
	Hosts   []*Host
	Trailer []string
	notes   map[*Host][]string
}

// SyntaxError is a line that is not a section, a comment or key = value.
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("baseline: %s:%d: %s", e.File, e.Line, e.Msg)
}

// Limits: a baseline is written by sshpin and edited by people; nothing
// real comes near these.
const (
	maxLine  = 256 << 10
	maxHosts = 1 << 20
)

// Parse reads a baseline. Unlike a known_hosts file, a baseline is ours:
// a line that is not understood is an error, since silently skipping it
// would silently stop checking a list.
func Parse(r io.Reader, name string) (*File, error) {
	f := &File{Name: name, notes: map[*Host][]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var cur *Host
	var pending []string
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		fail := func(msg string) (*File, error) { return nil, &SyntaxError{name, n, msg} }
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			pending = append(pending, sc.Text())
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return fail("a section header is [host:port]")
			}
			if len(f.Hosts) >= maxHosts {
				return fail("too many hosts")
			}
			hname := line[1 : len(line)-1]
			if f.Host(hname) != nil {
				return fail(fmt.Sprintf("%s appears twice", hname))
			}
			cur = &Host{Name: hname, Line: n, Lists: map[string][]string{}}
			f.notes[cur], pending = pending, nil
			f.Hosts = append(f.Hosts, cur)
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok {
				return fail("want key = value, [host:port] or a # comment")
			}
			if cur == nil {
				return fail("key = value before the first [host:port]")
			}
			key, value = strings.TrimSpace(key), strings.TrimSpace(value)
			switch {
			case key == "banner":
				cur.Banner = value
			case key == "hassh_server":
				cur.HasshServer = value
			case slices.Contains(kexinit.FieldNames[:], key):
				if _, dup := cur.Lists[key]; dup {
					return fail(key + " appears twice in this section")
				}
				cur.Lists[key] = splitList(value)
			default:
				return fail(fmt.Sprintf("unknown key %q (want banner, hassh_server or an RFC 4253 list name)", key))
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &SyntaxError{name, n + 1, "line too long"}
		}
		return nil, fmt.Errorf("baseline: reading %s: %w", name, err)
	}
	f.Trailer = pending
	return f, nil
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Host returns the section for name, or nil.
func (f *File) Host(name string) *Host {
	for _, h := range f.Hosts {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// FromHello records a server's hello under name.
func FromHello(name string, h *kexinit.Hello) *Host {
	b := &Host{Name: name, Banner: h.Banner.Raw, HasshServer: h.KexInit.HasshServer(), Lists: map[string][]string{}}
	for i, l := range h.KexInit.Lists() {
		b.Lists[kexinit.FieldNames[i]] = slices.Clone(*l)
	}
	return b
}

// Set adds h, or replaces the section of the same name in place.
func (f *File) Set(h *Host) {
	if f.notes == nil {
		f.notes = map[*Host][]string{}
	}
	for i, old := range f.Hosts {
		if old.Name == h.Name {
			f.notes[h] = f.notes[old]
			delete(f.notes, old)
			f.Hosts[i] = h
			return
		}
	}
	f.Hosts = append(f.Hosts, h)
}

const header = `# sshpin baseline: what each server offered when it was pinned.
# Each list is comma-separated in the server's order. sshpin check
# --baseline reports names added or removed as drift, a new order as a
# lower finding. Edit a list to accept a change; delete it to stop
# checking it.`

// Bytes renders the file. A section sshpin added gets a blank line before
// it, and the first one of a new file the explanatory header.
func (f *File) Bytes() []byte {
	var b strings.Builder
	if len(f.Hosts) == 0 && len(f.Trailer) == 0 {
		return []byte(header + "\n")
	}
	for i, h := range f.Hosts {
		notes := f.notes[h]
		switch {
		case len(notes) > 0:
		case i == 0:
			notes = []string{header, ""}
		default:
			notes = []string{""}
		}
		for _, l := range notes {
			b.WriteString(l + "\n")
		}
		fmt.Fprintf(&b, "[%s]\n", h.Name)
		if h.Banner != "" {
			fmt.Fprintf(&b, "banner = %s\n", h.Banner)
		}
		if h.HasshServer != "" {
			fmt.Fprintf(&b, "hassh_server = %s\n", h.HasshServer)
		}
		for _, name := range kexinit.FieldNames {
			if l, ok := h.Lists[name]; ok {
				fmt.Fprintf(&b, "%s = %s\n", strings.TrimSpace(name), strings.Join(l, ","))
			}
		}
	}
	for _, l := range f.Trailer {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}
