package sshconfig

import "strings"

// ProxyCommandLine is hc.ProxyCommand with its tokens expanded for a
// connection to port as remoteUser, ready for /bin/sh -c: %h %n %p %r %u
// %d and %%. Every value pasted in is quoted for the shell as the text
// around it stands (outside quotes, inside '...', inside "..."), so that
// it reaches the command as one literal whatever it holds: the
// configuration's own quoting ("ssh -W [%h]:%p", 'nc %h %p') keeps its
// meaning, and a name is never read as shell syntax, '$', '~' and '*'
// included. ${VAR} is left to the shell, as ssh leaves it: the shell
// expands it in the command as written, never in a value pasted in.
//
// Callers check the names first (CheckUser, CheckHost), as ssh does; the
// quoting holds on its own for names those checks let through.
func (hc HostConfig) ProxyCommandLine(port int, remoteUser string) string {
	return proxyExpand(hc.ProxyCommand, hc.Alias, port, remoteUser, hc.HostName)
}

// shell quoting states of the text scanned so far.
const (
	shPlain = iota
	shSingle
	shDouble
)

func proxyExpand(s, original string, port int, remoteUser, hostName string) string {
	var b strings.Builder
	state := shPlain
	escaped := false // the byte before was a backslash that quotes the next
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+1 < len(s) {
			if v, ok := tokenValue(s[i+1], original, port, remoteUser, hostName); ok {
				i++
				b.WriteString(shellPaste(v, state, escaped))
				escaped = false
				continue
			}
			if s[i+1] == '%' {
				i++ // %% is a '%' in the text: the shell sees a plain byte
			}
		}
		b.WriteByte(c)
		switch {
		case escaped:
			escaped = false
		case state == shPlain && c == '\\', state == shDouble && c == '\\':
			escaped = true
		case state == shPlain && c == '\'':
			state = shSingle
		case state == shPlain && c == '"':
			state = shDouble
		case state == shSingle && c == '\'', state == shDouble && c == '"':
			state = shPlain
		}
	}
	return b.String()
}

// shellPaste is v written so that the shell, in state, reads it back as
// v: single-quoted outside quotes, with '\” for its quotes inside single
// quotes, with \ before $ ` " \ inside double quotes. After a backslash
// (escaped), that backslash already quotes v's first byte, which goes
// first as it is.
func shellPaste(v string, state int, escaped bool) string {
	if v == "" {
		if state == shPlain && !escaped {
			return "''"
		}
		return ""
	}
	prefix := ""
	if escaped {
		prefix, v = v[:1], v[1:]
		if v == "" {
			return prefix
		}
	}
	switch state {
	case shSingle:
		return prefix + strings.ReplaceAll(v, "'", `'\''`)
	case shDouble:
		var b strings.Builder
		b.WriteString(prefix)
		for i := 0; i < len(v); i++ {
			if strings.IndexByte("$`\"\\", v[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return prefix + "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
