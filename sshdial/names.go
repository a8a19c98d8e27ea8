package sshdial

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/sshpin/sshpin/sshconfig"
)

// User and host names end up in a ProxyCommand (%r, %h, %n), which a shell
// runs: a name that a shell would act on must never get that far
// (CVE-2023-51385, where ssh pasted a user name with "$(...)" into one).
// The rules are OpenSSH's (ssh_valid_ruser and ssh_valid_hostname in its
// readconf.c), applied to every name whatever its source; the expansion
// quotes what it pastes as well (sshconfig.HostConfig.ProxyCommandLine), so that a name these rules
// let through ('~', '$' in a user name) stays a literal too.

// InvalidNameError is a user or host name refused before any connection or
// command was made with it.
type InvalidNameError struct {
	What   string // "user name" or "host name"
	Name   string
	Source string // where it came from, worded by the caller; "" if unknown
	Reason string // "contains '('", "starts with '-'"
}

// Error has no package prefix: it is what the command line prints after
// "sshpin: " as it is. The name is quoted but not escaped, since whoever
// prints it escapes it (report.Safe in the CLI), and escaping it here
// too would show every control character twice escaped.
func (e *InvalidNameError) Error() string {
	from := ""
	if e.Source != "" {
		from = " (from " + e.Source + ")"
	}
	return fmt.Sprintf("%s \"%s\"%s %s: refused, as ssh refuses it, since a shell would act on it", e.What, e.Name, from, e.Reason)
}

// quoteChar names the character r in a reason: in single quotes, or in
// double quotes when it is itself the single quote.
func quoteChar(r rune) string {
	if r == '\'' {
		return `"'"`
	}
	return "'" + string(r) + "'"
}

// hostMeta and userMeta are the characters ssh refuses in each.
const (
	hostMeta = "'`\"$\\;&<>|(){},"
	userMeta = "'`\";&<>|(){}"
)

// CheckUser refuses a remote user name that ssh would refuse ("remote
// username contains invalid characters"): a leading '-', control
// characters, shell metacharacters, a '-' after a space, a '\' at the end.
// source says where the name came from, for the error.
func CheckUser(name, source string) error {
	fail := func(reason string) error {
		return &InvalidNameError{What: "user name", Name: name, Source: source, Reason: reason}
	}
	if strings.HasPrefix(name, "-") {
		return fail("starts with '-'")
	}
	for i, r := range name {
		switch {
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fail(fmt.Sprintf("contains the control character %U", r))
		case strings.ContainsRune(userMeta, r):
			return fail("contains " + quoteChar(r))
		case unicode.IsSpace(r) && strings.HasPrefix(name[i+1:], "-"):
			return fail("has a '-' after a space")
		case r == '\\' && i == len(name)-1:
			return fail("ends with '\\'")
		}
	}
	return nil
}

// CheckHost refuses a host name that ssh would refuse ("hostname contains
// invalid characters"): a leading '-', spaces, control characters and
// shell metacharacters.
func CheckHost(name, source string) error {
	fail := func(reason string) error {
		return &InvalidNameError{What: "host name", Name: name, Source: source, Reason: reason}
	}
	if strings.HasPrefix(name, "-") {
		return fail("starts with '-'")
	}
	for _, r := range name {
		switch {
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fail(fmt.Sprintf("contains the control character %U", r))
		case unicode.IsSpace(r):
			return fail("contains a space")
		case strings.ContainsRune(hostMeta, r):
			return fail("contains " + quoteChar(r))
		}
	}
	return nil
}

// CheckNames checks every user and host name on the way to target before
// anything is built from them: the target as the user named it, what the
// configuration (hc, ResolveProxy's) makes of it, and each jump host of
// hops (JumpChain's), as its list names it and as its configuration says.
// The first name refused is the *InvalidNameError returned.
func CheckNames(target sshconfig.Target, hc sshconfig.HostConfig, hops []sshconfig.JumpHost) error {
	type name struct {
		user      bool
		v, source string
	}
	var names []name
	add := func(r sshconfig.Target, c sshconfig.HostConfig, source string) {
		if r.User != "" {
			names = append(names, name{true, r.User, source})
		}
		names = append(names, name{false, r.Host, source})
		if c.HostNameFrom != "" {
			names = append(names, name{false, c.HostName, c.HostNameFrom})
		}
		if c.UserFrom != "" {
			names = append(names, name{true, c.User, c.UserFrom})
		}
	}
	add(target, hc, "the command line")
	for _, h := range hops {
		source := h.From
		if source == "" {
			source = "the jump host list"
		}
		add(h.Target, h.Config, source)
	}
	for _, n := range names {
		check := CheckHost
		if n.user {
			check = CheckUser
		}
		if err := check(n.v, n.source); err != nil {
			return err
		}
	}
	return nil
}

// checkNames is Dial's own check of every name it was given, for callers
// that built Options themselves: nothing is dialled and no proxy command
// runs with a name ssh would refuse.
func checkNames(o Options) error {
	hops := append(append([]Hop(nil), o.Jump...), Hop{Host: o.Host, User: o.User})
	for _, h := range hops {
		if err := CheckHost(h.Host, ""); err != nil {
			return err
		}
		if err := CheckUser(h.User, ""); err != nil {
			return err
		}
	}
	return nil
}
