package sftpx

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/sshpin/sshpin/sshconfig"
	"github.com/sshpin/sshpin/target"
)

// Remote is a file on an SFTP server, as the user named it.
type Remote struct {
	User string // "" when not given: the caller picks the default
	Host string // a name or an IP literal, without brackets
	Port int    // 22 unless given
	// PortGiven: the port was written, so it overrides ~/.ssh/config's.
	PortGiven bool
	// Path is as given, and, like scp's and sftp's, relative to the login
	// directory unless it starts with '/'. "" names the login directory.
	Path string
}

// uriScheme is compared case-insensitively, as RFC 3986 schemes are.
const uriScheme = "sftp://"

// IsRemote reports whether arg names a remote file rather than a local
// one, by scp's rule: a colon before any slash (a leading colon and
// "./a:b" are local), an IPv6 host in brackets, or an sftp:// URI.
func IsRemote(arg string) bool {
	if hasURIScheme(arg) {
		return true
	}
	return hostColon(arg) >= 0
}

func hasURIScheme(s string) bool {
	return len(s) >= len(uriScheme) && strings.EqualFold(s[:len(uriScheme)], uriScheme)
}

// hostColon is OpenSSH scp's colon(): the index of the colon that ends
// "[user@]host", or -1 when s is a local path. Brackets protect an IPv6
// host's colons, whether at the start or after "user@".
func hostColon(s string) int {
	if strings.HasPrefix(s, ":") {
		return -1 // a leading colon is part of a file name
	}
	bracket := strings.HasPrefix(s, "[")
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '@' && i+1 < len(s) && s[i+1] == '[':
			bracket = true
		case c == ']' && bracket && i+1 < len(s) && s[i+1] == ':':
			return i + 1
		case c == ':' && !bracket:
			return i
		case c == '/':
			return -1
		}
	}
	return -1
}

// ParseRemote parses "[user@]host[:port]:PATH" (scp's form: a second colon
// after the host names the port, an IPv6 host goes in brackets) and
// "sftp://[user@]host[:port][/PATH]".
//
// In the URI, as in OpenSSH's sftp, PATH is what follows the slash after
// the host, percent-decoded: "sftp://h/dir/f" is "dir/f" in the login
// directory and "sftp://h//etc/motd" is "/etc/motd". A '+' stays a '+'
// (RFC 3986; OpenSSH decodes it as a space). Connection parameters
// (";fingerprint=...") are refused rather than ignored as OpenSSH does: a
// fingerprint the user believes checked must not be silently dropped.
//
// In the scp form, "host:123:file" always means port 123: write
// "host:./123:file" for a file whose name starts with digits and a colon.
func ParseRemote(s string) (Remote, error) {
	fail := func(reason string) (Remote, error) { return Remote{}, &ParseError{Input: s, Reason: reason} }
	if strings.IndexByte(s, 0) >= 0 {
		return fail("contains a NUL byte")
	}
	if hasURIScheme(s) {
		return parseURI(s)
	}
	sep := hostColon(s)
	if sep < 0 {
		return fail("not a remote path: write [user@]host[:port]:PATH or sftp://[user@]host[:port]/PATH")
	}
	hostPart, rest := s[:sep], s[sep+1:]
	var r Remote
	if at := strings.LastIndexByte(hostPart, '@'); at >= 0 {
		r.User, hostPart = hostPart[:at], hostPart[at+1:]
		if r.User == "" {
			return fail("empty user name before '@'")
		}
	}
	host := hostPart
	if strings.HasPrefix(host, "[") {
		if !strings.HasSuffix(host, "]") {
			return fail("missing ']' after the host")
		}
		host = host[1 : len(host)-1]
	}
	port := target.DefaultPort
	if j := strings.IndexByte(rest, ':'); j > 0 && allDigits(rest[:j]) {
		n, err := strconv.Atoi(rest[:j])
		if err != nil || n < 1 || n > 65535 {
			return fail("invalid port " + strconv.Quote(rest[:j]) + " (want 1-65535)")
		}
		port, rest = n, rest[j+1:]
		r.PortGiven = true
	}
	r.Path = rest
	return finish(s, r, host, port)
}

func parseURI(s string) (Remote, error) {
	fail := func(reason string) (Remote, error) { return Remote{}, &ParseError{Input: s, Reason: reason} }
	rest := s[len(uriScheme):]
	authority, path, hasPath := strings.Cut(rest, "/")
	var r Remote
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		user := authority[:at]
		authority = authority[at+1:]
		if strings.Contains(user, ";") {
			return Remote{}, &ParseError{Input: s, Reason: "connection parameters (;...) are not supported", Params: true}
		}
		u, err := url.PathUnescape(user)
		if err != nil {
			return fail("bad percent-encoding in the user name")
		}
		if u == "" {
			return fail("empty user name before '@'")
		}
		r.User = u
	}
	host, port := authority, target.DefaultPort
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return fail("missing ']' after the host")
		}
		host, authority = host[1:end], host[end+1:]
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		host, authority = host[:i], host[i:]
	} else {
		authority = ""
	}
	if authority != "" {
		p, ok := strings.CutPrefix(authority, ":")
		if !ok {
			return fail("unexpected text after the host")
		}
		n, err := strconv.Atoi(p)
		if err != nil || !allDigits(p) || n < 1 || n > 65535 {
			return fail("invalid port " + strconv.Quote(p) + " (want 1-65535)")
		}
		port = n
		r.PortGiven = true
	}
	if hasPath {
		p, err := url.PathUnescape(path)
		if err != nil {
			return fail("bad percent-encoding in the path")
		}
		if strings.IndexByte(p, 0) >= 0 {
			return fail("the path contains a NUL byte")
		}
		r.Path = p
	}
	return finish(s, r, host, port)
}

// finish checks the host with the target package's rules (the same hosts
// every other command accepts) and the user name with scp's: a user name
// holding ':' '/' '[' or ']' would change how the path splits.
func finish(input string, r Remote, host string, port int) (Remote, error) {
	fail := func(reason string) (Remote, error) { return Remote{}, &ParseError{Input: input, Reason: reason} }
	if host == "" {
		return fail("empty host")
	}
	t, err := target.Parse("[" + host + "]:" + strconv.Itoa(port))
	if err != nil {
		var te *target.Error
		if errors.As(err, &te) {
			return fail(te.Reason)
		}
		return fail(err.Error())
	}
	for _, c := range r.User {
		if c <= ' ' || c == 0x7f || strings.ContainsRune(":/[]", c) {
			return fail("user name contains " + strconv.QuoteRune(c))
		}
	}
	r.Host, r.Port = t.Host, t.Port
	return r, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns the scp form, which ParseRemote reads back as r. The port
// is written when it is not 22 or was given. A path that would read as a
// port ("12:notes") with no port given is written as a URI
// ("sftp://host/12:notes"): the scp form could only say "host:22:12:notes",
// which reads back as a port given, one that overrides ~/.ssh/config's.
func (r Remote) String() string {
	j := strings.IndexByte(r.Path, ':')
	digitsColon := j > 0 && allDigits(r.Path[:j])
	if digitsColon && r.Port == target.DefaultPort && !r.PortGiven {
		return r.uri()
	}
	var b strings.Builder
	if r.User != "" {
		b.WriteString(r.User)
		b.WriteByte('@')
	}
	if strings.Contains(r.Host, ":") {
		b.WriteString("[" + r.Host + "]")
	} else {
		b.WriteString(r.Host)
	}
	b.WriteByte(':')
	if r.Port != target.DefaultPort || r.PortGiven || digitsColon {
		b.WriteString(strconv.Itoa(r.Port))
		b.WriteByte(':')
	}
	b.WriteString(r.Path)
	return b.String()
}

// uri is r as "sftp://[user@]host/PATH", which parseURI reads back: the
// path after one slash, with '%' (which parseURI decodes) escaped, and in
// the user name ';' too (parseURI refuses it raw, as a connection
// parameter). Only String's port-less case uses it, so no port is written.
func (r Remote) uri() string {
	var b strings.Builder
	b.WriteString(uriScheme)
	if r.User != "" {
		b.WriteString(strings.NewReplacer("%", "%25", ";", "%3B").Replace(r.User))
		b.WriteByte('@')
	}
	if strings.Contains(r.Host, ":") {
		b.WriteString("[" + r.Host + "]")
	} else {
		b.WriteString(r.Host)
	}
	b.WriteByte('/')
	b.WriteString(strings.ReplaceAll(r.Path, "%", "%25"))
	return b.String()
}

// Addr is host:port for dialling, with brackets around IPv6.
func (r Remote) Addr() string {
	return target.Target{Host: r.Host, Port: r.Port}.String()
}

// SameServer reports whether a and b name one account on one server, so
// that one connection serves both.
func (r Remote) SameServer(o Remote) bool {
	return r.User == o.User && strings.EqualFold(r.Host, o.Host) && r.Port == o.Port
}

// Target is r as sshconfig resolves it: the host to look up, without the
// path.
func (r Remote) Target() sshconfig.Target {
	return sshconfig.Target{User: r.User, Host: r.Host, Port: r.Port, PortGiven: r.PortGiven}
}
