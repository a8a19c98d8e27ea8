// Package sshconfig reads ssh_config(5) files the way OpenSSH's ssh reads
// them and resolves a host completely: where it goes (HostName, Port,
// User), with what (IdentityFile, IdentityAgent), against which pins
// (UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias), and through
// which jump hosts or command (ProxyJump, ProxyCommand).
//
// It only reads and resolves: it connects nowhere, prompts for nothing
// and never prints. No keyword can relax a host key check.
package sshconfig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sshpin/sshpin/internal/home"
	"github.com/sshpin/sshpin/internal/nbopen"
)

// Config is what ssh_config(5) files say, read the way ssh reads them,
// for the keywords that decide where a connection goes and who it is:
// HostName, Port, User, IdentityFile, IdentitiesOnly, IdentityAgent,
// UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias, ProxyJump and
// ProxyCommand. Other keywords are read and ignored; none of them can
// relax the host key check (StrictHostKeyChecking, for one, has no say).
//
// Semantics, as ssh's: for each keyword the first value obtained wins
// (IdentityFile accumulates); Host patterns match the name as given, with
// '*', '?' and '!' negation (case matters, as in ssh); Match supports all,
// host, originalhost, user and localuser, and a Match with any other
// criterion (exec, localnetwork, canonical, final, tagged) never applies,
// with a warning; Include reads files (globs; relative to ~/.ssh, or
// /etc/ssh for the system file) in place, under the block it appears in.
type Config struct {
	lines []cfgLine

	// While reading: where files come from (the disk but in the fuzz
	// test), and how many have been read, in lines, for the bounds.
	files      configFiles
	read, nLen int
}

// configFiles is where configuration files come from.
type configFiles interface {
	open(name string) (io.ReadCloser, error)
	glob(pattern string) ([]string, error)
}

type diskFiles struct{}

func (diskFiles) open(name string) (io.ReadCloser, error) { return openConfig(name) }
func (diskFiles) glob(pattern string) ([]string, error)   { return filepath.Glob(pattern) }

// maxConfigReads and maxConfigLines bound what one Read reads,
// Includes and all: Include depth alone does not, since a file that
// includes itself twice is read 2^16 times within the depth bound.
const (
	maxConfigReads = 256
	maxConfigLines = 100000
)

type cfgLine struct {
	file string
	num  int
	key  string // lowercase
	args []string
	// cond is the Host or Match line this one is under; nil for the
	// lines before the first.
	cond *cfgLine
	// under is the condition of the block an Include appeared in, for the
	// lines it read: they apply only where both do.
	under []*cfgLine
}

// HostConfig is what the configuration says of one host.
type HostConfig struct {
	Alias         string // the name as given
	HostName      string // the name to connect to (%h expanded); Alias if unset
	Port          int    // 0 if unset
	User          string // "" if unset
	IdentityFiles []string
	// IdentitiesOnly: offer only the identity files, not the agent's keys.
	IdentitiesOnly bool
	// IdentityAgent is the agent socket; "none" for no agent, "" if unset.
	IdentityAgent string
	// UserKnownHostsFiles and GlobalKnownHostsFiles are nil if unset;
	// "none" is dropped.
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	KnownHostsSet         bool // UserKnownHostsFile was given (maybe none)
	HostKeyAlias          string
	// ProxyJump is the jump list as written ("" if unset, and "none" is
	// ""); ProxyCommand likewise. At most one is set, as ssh decides
	// between them.
	ProxyJump    string
	ProxyCommand string
	// UserFrom, HostNameFrom and ProxyJumpFrom say where User, HostName
	// and ProxyJump were read ("FILE line N"), for an error about a name
	// they hold; "" when no file set them.
	UserFrom, HostNameFrom, ProxyJumpFrom string
	// Warnings say what was read but cannot be honoured.
	Warnings []string
}

const maxIncludeDepth = 16

// Read reads the files in order, as ssh reads ~/.ssh/config and
// then /etc/ssh/ssh_config: a file that does not exist is skipped. system
// says which of them are system files (relative Includes resolve against
// /etc/ssh for those).
func Read(files []string, system []bool) (*Config, error) {
	return readSSHConfig(diskFiles{}, files, system)
}

func readSSHConfig(from configFiles, files []string, system []bool) (*Config, error) {
	c := &Config{files: from}
	defer func() { c.files = nil }()
	for i, f := range files {
		sys := i < len(system) && system[i]
		err := c.readFile(f, sys, nil, 0)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// maxConfigFile bounds one configuration file: ssh_config files are a
// few KiB, and a read must end whatever the name leads to.
const maxConfigFile = 4 << 20

// openConfig opens a configuration file for reading: a regular file, or
// /dev/null (ssh -F /dev/null is the usual "no configuration"). Anything
// else is refused at once: a FIFO would block the open (and Ctrl-C)
// until some writer came, a directory or device has no lines to give. It
// opens without blocking, checks the type of what it opened, not of a
// name that could change in between, and reads at most maxConfigFile.
func openConfig(file string) (io.ReadCloser, error) {
	f, err := nbopen.Open(file)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		if file == os.DevNull {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, fmt.Errorf("%s: not a regular file (%s)", file, fileKind(st.Mode()))
	}
	if err := nbopen.Blocking(f); err != nil {
		f.Close()
		return nil, err
	}
	return &limitedFile{f: f, r: io.LimitReader(f, maxConfigFile+1), name: file}, nil
}

// limitedFile fails a read past maxConfigFile instead of cutting the file
// short, so that a configuration is never read in part.
type limitedFile struct {
	f    *os.File
	r    io.Reader
	n    int64
	name string
}

func (l *limitedFile) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > maxConfigFile {
		return 0, fmt.Errorf("%s: larger than %d MiB", l.name, maxConfigFile>>20)
	}
	return n, err
}

func (l *limitedFile) Close() error { return l.f.Close() }

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

func (c *Config) readFile(file string, system bool, under []*cfgLine, depth int) error {
	c.read++
	if c.read > maxConfigReads {
		return fmt.Errorf("%s: more than %d configuration files read (Include)", file, maxConfigReads)
	}
	f, err := c.files.open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4<<10), 1<<20)
	var cond *cfgLine
	for num := 1; sc.Scan(); num++ {
		c.nLen++
		if c.nLen > maxConfigLines {
			return fmt.Errorf("%s line %d: more than %d configuration lines read", file, num, maxConfigLines)
		}
		key, args, err := splitConfigLine(sc.Text())
		if err != nil {
			return fmt.Errorf("%s line %d: %w", file, num, err)
		}
		if key == "" {
			continue
		}
		l := cfgLine{file: file, num: num, key: key, args: args, cond: cond, under: under}
		switch key {
		case "host", "match":
			if len(args) == 0 {
				return fmt.Errorf("%s line %d: %s without an argument", file, num, key)
			}
			nl := l
			nl.cond = nil
			cond = &nl
			c.lines = append(c.lines, nl)
			continue
		case "include":
			if depth >= maxIncludeDepth {
				return fmt.Errorf("%s line %d: Include nested too deep", file, num)
			}
			in := slices.Clone(under)
			if cond != nil {
				in = append(in, cond)
			}
			for _, pat := range args {
				pat = expandHome(pat)
				if !filepath.IsAbs(pat) {
					base := "/etc/ssh"
					if !system {
						h, err := home.Dir()
						if err != nil {
							return fmt.Errorf("%s line %d: Include %q: %w", file, num, pat, err)
						}
						base = filepath.Join(h, ".ssh")
					}
					pat = filepath.Join(base, pat)
				}
				names, err := c.files.glob(pat)
				if err != nil {
					return fmt.Errorf("%s line %d: Include %q: %w", file, num, pat, err)
				}
				slices.Sort(names)
				for _, n := range names {
					if err := c.readFile(n, system, in, depth+1); err != nil && !errors.Is(err, os.ErrNotExist) {
						return err
					}
				}
			}
			continue
		}
		c.lines = append(c.lines, l)
	}
	return sc.Err()
}

// splitConfigLine splits a line into its lowercase keyword and arguments:
// "Key value", "Key=value", double quotes around arguments with spaces, and
// '#' comments.
func splitConfigLine(s string) (string, []string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' {
		return "", nil, nil
	}
	var key string
	i := strings.IndexAny(s, " \t=")
	if i < 0 {
		key, s = s, ""
	} else {
		key, s = s[:i], strings.TrimLeft(s[i:], " \t")
		if strings.HasPrefix(s, "=") {
			s = strings.TrimLeft(s[1:], " \t")
		}
	}
	var args []string
	for s != "" {
		if s[0] == '#' {
			break
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return "", nil, errors.New("unterminated quote")
			}
			args = append(args, s[1:1+end])
			s = strings.TrimLeft(s[2+end:], " \t")
			continue
		}
		j := strings.IndexAny(s, " \t")
		if j < 0 {
			j = len(s)
		}
		args = append(args, s[:j])
		s = strings.TrimLeft(s[j:], " \t")
	}
	return strings.ToLower(key), args, nil
}

// Resolve returns what the configuration says of host, the name as the
// user gave it; user is the login name given on the command line ("" if
// none), which Match user compares against before the configuration sets
// one.
func (c *Config) Resolve(host, user string) HostConfig {
	return c.ResolveProxy(host, user, "", "")
}

// ResolveProxy is Resolve with the command line's -J (jump) or -o
// ProxyCommand (command) taken first, as ssh reads its command line
// before its files: a jump list or a command leaves the configuration's
// ProxyJump and ProxyCommand no say, while -J none only drops its
// ProxyJump, and a ProxyCommand in it still applies.
func (c *Config) ResolveProxy(host, user, jump, command string) HostConfig {
	hc := HostConfig{Alias: host}
	set := map[string]bool{}
	// ssh's ProxyJump and ProxyCommand block each other unevenly: a jump
	// list sets ProxyCommand to none, so a later ProxyCommand is ignored,
	// but ProxyJump none does not; any ProxyCommand, none included, blocks
	// a later ProxyJump. "none" stays in these until the end.
	var proxyJump, proxyCommand, jumpFrom string
	setJump := func(v, from string) {
		if proxyJump != "" || proxyCommand != "" {
			return
		}
		proxyJump, jumpFrom = v, from
		if !strings.EqualFold(v, "none") {
			proxyCommand = "none"
		}
	}
	setCommand := func(v string) {
		if proxyCommand == "" {
			proxyCommand = v
		}
	}
	if command != "" {
		setCommand(command)
	}
	if jump != "" {
		setJump(jump, "")
	}
	active := map[*cfgLine]bool{}
	localUser := LocalUser()
	var warned []string
	matches := func(cond *cfgLine) bool {
		if cond == nil {
			return true
		}
		ok, seen := active[cond]
		if seen {
			return ok
		}
		switch cond.key {
		case "host":
			ok = matchPatterns(cond.args, host, false)
		case "match":
			cur := host
			if hc.HostName != "" {
				cur = expandTokens(hc.HostName, host, 0, "", "")
			}
			u := user
			if u == "" {
				u = hc.User
			}
			if u == "" {
				u = localUser
			}
			var why string
			ok, why = matchCriteria(cond.args, cur, host, u, localUser)
			if why != "" {
				warned = append(warned, fmt.Sprintf("%s line %d: Match %s is not supported; the block is ignored", cond.file, cond.num, why))
			}
		}
		active[cond] = ok
		return ok
	}
	for i := range c.lines {
		l := &c.lines[i]
		if l.key == "host" || l.key == "match" {
			continue
		}
		if !matches(l.cond) || !allMatch(l.under, matches) {
			continue
		}
		first := !set[l.key]
		if len(l.args) == 0 {
			continue
		}
		v := l.args[0]
		from := fmt.Sprintf("%s line %d", l.file, l.num)
		switch l.key {
		case "hostname":
			if first {
				hc.HostName, hc.HostNameFrom = v, from
			}
		case "port":
			if first {
				if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65536 {
					hc.Port = n
				} else {
					warned = append(warned, fmt.Sprintf("%s line %d: bad Port %q", l.file, l.num, v))
				}
			}
		case "user":
			if first {
				hc.User, hc.UserFrom = v, from
			}
		case "identityfile":
			hc.IdentityFiles = append(hc.IdentityFiles, v)
		case "identitiesonly":
			if first {
				hc.IdentitiesOnly = strings.EqualFold(v, "yes")
			}
		case "identityagent":
			if first {
				hc.IdentityAgent = v
			}
		case "userknownhostsfile":
			if first {
				hc.KnownHostsSet = true
				hc.UserKnownHostsFiles = dropNone(l.args)
			}
		case "globalknownhostsfile":
			if first {
				hc.GlobalKnownHostsFiles = dropNone(l.args)
			}
		case "hostkeyalias":
			if first {
				hc.HostKeyAlias = v
			}
		case "proxyjump":
			setJump(v, from)
		case "proxycommand":
			setCommand(strings.Join(l.args, " "))
		}
		set[l.key] = true
	}
	hc.Warnings = warned
	if !strings.EqualFold(proxyJump, "none") {
		hc.ProxyJump, hc.ProxyJumpFrom = proxyJump, jumpFrom
	}
	if !strings.EqualFold(proxyCommand, "none") {
		hc.ProxyCommand = proxyCommand
	}
	if hc.HostName == "" {
		hc.HostName = host
	} else {
		hc.HostName = expandTokens(hc.HostName, host, 0, "", "")
	}
	// As ssh does: names are not case-sensitive, and the pinned files
	// hold them in lowercase.
	hc.HostName = strings.ToLower(hc.HostName)
	return hc
}

// maxJumpHosts bounds a chain of jump hosts. ssh has no bound, but a
// chain this long is a configuration gone wrong, not a network.
const maxJumpHosts = 16

// JumpHost is a jump host as a ProxyJump list names it, and what the
// configuration says of it.
type JumpHost struct {
	// Target is the host as the list writes it: Host is the name to
	// resolve (maybe an alias); Port and User are set if the list gives
	// them.
	Target Target
	// Config is what the configuration says of Target.Host. Its ProxyJump
	// is always "": the chain holds the hosts it names. Its ProxyCommand
	// can be set only for the first host of a chain, which is reached
	// through that command instead of TCP.
	Config HostConfig
	// From is where the list naming it was read ("FILE line N"); "" for
	// the jump list given to ResolveProxy (the command line's).
	From string
}

// JumpChain returns the jump hosts on the way to target, first to last,
// as ssh chains them; hc is what the configuration says of target
// (ResolveProxy, so that -J counts). ssh reaches the hosts of a list
// a,b,c as "ssh -J a,b -W target c", and so on down: each host of a list
// is reached through the ones before it, and its own ProxyJump and
// ProxyCommand have no say, except for the list's first host, which is
// reached as ssh reaches any host: its own ProxyJump comes before it, or
// its ProxyCommand carries it. A ProxyJump that leads back to a host
// already on the way is an error here; ssh would start itself without end.
func (c *Config) JumpChain(target Target, hc HostConfig) ([]JumpHost, error) {
	path := []string{jumpName(target)}
	// A host is where it is as written, port included: -J 127.0.0.1:2200
	// for 127.0.0.1:2222 is no loop. What the configuration says of it
	// does not depend on the port, so a real loop comes round again
	// with the same name, port and user.
	seen := map[string]bool{path[0]: true}
	var lists [][]JumpHost // the target's list first
	total := 0
	from := target
	for hc.ProxyJump != "" {
		listFrom := hc.ProxyJumpFrom
		rs, err := ParseJump(hc.ProxyJump)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("sshconfig: ProxyJump of %s: jump host %q: %s", jumpName(from), pe.Input, pe.Reason)
			}
			return nil, err
		}
		total += len(rs)
		if total > maxJumpHosts {
			return nil, fmt.Errorf("sshconfig: ProxyJump: more than %d jump hosts on the way to %s", maxJumpHosts, jumpName(target))
		}
		first := rs[0]
		path = append(path, jumpName(first))
		if seen[path[len(path)-1]] {
			return nil, fmt.Errorf("sshconfig: ProxyJump loop: %s", strings.Join(path, " -> "))
		}
		seen[path[len(path)-1]] = true
		list := make([]JumpHost, len(rs))
		for i, r := range rs {
			jc := c.Resolve(r.Host, r.User)
			if i == 0 {
				hc = jc
			} else {
				jc.ProxyCommand = ""
			}
			jc.ProxyJump = ""
			list[i] = JumpHost{Target: r, Config: jc, From: listFrom}
		}
		lists = append(lists, list)
		from = first
	}
	var out []JumpHost
	for i := len(lists) - 1; i >= 0; i-- {
		out = append(out, lists[i]...)
	}
	return out, nil
}

// jumpName is a host as a jump list writes it.
func jumpName(r Target) string {
	s := r.Host
	if r.PortGiven {
		s = net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	}
	if r.User != "" {
		s = r.User + "@" + s
	}
	return s
}

func allMatch(conds []*cfgLine, matches func(*cfgLine) bool) bool {
	for _, c := range conds {
		if !matches(c) {
			return false
		}
	}
	return true
}

func dropNone(args []string) []string {
	out := []string{}
	for _, a := range args {
		if !strings.EqualFold(a, "none") {
			out = append(out, a)
		}
	}
	return out
}

// matchPatterns is true when some pattern matches s and no negated one
// does; patterns may also be comma-separated. Host lines compare as given
// (ssh's match_pattern), Match criteria without case (match_hostname).
func matchPatterns(patterns []string, s string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	ok := false
	for _, field := range patterns {
		for _, p := range strings.Split(field, ",") {
			neg := strings.HasPrefix(p, "!")
			p = strings.TrimPrefix(p, "!")
			if fold {
				p = strings.ToLower(p)
			}
			if p == "" {
				continue
			}
			if m, _ := path.Match(globEscape(p), s); m {
				if neg {
					return false
				}
				ok = true
			}
		}
	}
	return ok
}

// globEscape keeps ssh's wildcards (* and ?) and makes path.Match take
// everything else, '[' and '\' included, literally.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// matchCriteria evaluates a Match line. why names an unsupported
// criterion, in which case ok is false.
func matchCriteria(args []string, host, original, user, localUser string) (ok bool, why string) {
	if len(args) == 1 && strings.EqualFold(args[0], "all") {
		return true, ""
	}
	ok = true
	for i := 0; i < len(args); i++ {
		crit := strings.ToLower(args[i])
		neg := strings.HasPrefix(crit, "!")
		crit = strings.TrimPrefix(crit, "!")
		var r bool
		switch crit {
		case "all":
			r = true
		case "host", "originalhost", "user", "localuser":
			if i+1 >= len(args) {
				return false, crit + " without an argument"
			}
			i++
			pats := strings.Split(args[i], ",")
			switch crit {
			case "host":
				r = matchPatterns(pats, host, true)
			case "originalhost":
				r = matchPatterns(pats, original, true)
			case "user":
				r = matchPatterns(pats, user, false)
			case "localuser":
				r = matchPatterns(pats, localUser, false)
			}
		default:
			return false, crit
		}
		if r == neg {
			ok = false
		}
	}
	return ok, ""
}

// Tokens expands the ~ and the %-tokens and ${VAR} of a path-like value
// (IdentityFile, UserKnownHostsFile, IdentityAgent): %% %h %p %r %n %u %d.
// As ssh does, ~ is expanded in the value as written, and ${VAR} and the
// tokens in one pass: what a token or a variable pastes in is never read
// again, so a user name "${HOME}" or "~root" stays what it is. A
// ProxyCommand is not a path: see ProxyCommandLine.
func (hc HostConfig) Tokens(s string, port int, remoteUser string) string {
	return expand(expandHome(s), hc.Alias, port, remoteUser, hc.HostName, true)
}

func expandTokens(s, original string, port int, remoteUser, hostName string) string {
	return expand(s, original, port, remoteUser, hostName, false)
}

// tokenValue is what the token %c stands for; ok is false for a character
// that is no token.
func tokenValue(c byte, original string, port int, remoteUser, hostName string) (v string, ok bool) {
	if hostName == "" {
		hostName = original
	}
	switch c {
	case 'h':
		return hostName, true
	case 'n':
		return original, true
	case 'p':
		if port == 0 {
			port = 22
		}
		return strconv.Itoa(port), true
	case 'r':
		return remoteUser, true
	case 'u':
		return LocalUser(), true
	case 'd':
		h, err := home.Dir()
		return h, err == nil
	}
	return "", false
}

// expand pastes the tokens (and with env, the ${VAR}s) of s in one pass.
// An unknown token stays as written, and so does a "${" without its "}".
func expand(s, original string, port int, remoteUser, hostName string, env bool) string {
	if !strings.Contains(s, "%") && (!env || !strings.Contains(s, "${")) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if env && strings.HasPrefix(s[i:], "${") {
			if j := strings.IndexByte(s[i:], '}'); j >= 0 {
				b.WriteString(os.Getenv(s[i+2 : i+j]))
				i += j
				continue
			}
		}
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if v, ok := tokenValue(s[i], original, port, remoteUser, hostName); ok {
			b.WriteString(v)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(s[i])
	}
	return b.String()
}

// expandHome expands a leading "~" to the home directory (internal/home's
// rule). With the home directory unknown it leaves p as written, which is
// then no absolute path: an Include of it is refused (readFile), and a file
// named by it fails by that name, "~/..." as the user wrote it, where
// falling back to "/" would have read a file the user never named.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	h, err := home.Dir()
	if err != nil {
		return p
	}
	if p == "~" {
		return h
	}
	return filepath.Join(h, p[2:])
}

// LocalUser is the local user's name, the user a host is logged in as
// when neither the command line nor the configuration names one (and
// what Match localuser and %u compare with): the account's name, else
// $USER, else the numeric uid.
func LocalUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return strconv.Itoa(os.Getuid())
}
