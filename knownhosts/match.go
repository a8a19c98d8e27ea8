package knownhosts

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

// Host matching follows OpenSSH's match.c and hostfile.c, not x/crypto:
// a plain hosts field is a comma-separated list of glob patterns ('*' and
// '?'), each optionally negated with '!', matched against the whole name
// OpenSSH looks a host up by ("host" on port 22, "[host]:port" otherwise),
// case-insensitively (ASCII only, as tolower in OpenSSH's locale); a hashed
// field "|1|salt|hash" matches when HMAC-SHA1(salt, name) is hash.

// maxSubpattern: OpenSSH copies each pattern of a list into a 1024-byte
// buffer and answers "no match" for the whole list when a pattern fills it
// (1023 bytes or more), so such a line matches no host at all.
const maxSubpattern = 1023

// matchPattern reports whether s matches the glob pattern p, byte for byte.
// OpenSSH's answer, without its backtracking: the last '*' seen is the only
// one worth retrying, so this takes O(len(s)*len(p)) in the worst case,
// whatever the number of stars.
func matchPattern(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchList is match_pattern_list with lowercasing: 1 when a pattern
// matches and no negated one does, -1 when a negated one matches, else 0.
// name must be lowercase already.
func matchList(name, list string) int {
	positive := false
	for i := 0; i < len(list); {
		negated := list[i] == '!'
		if negated {
			i++
		}
		end := strings.IndexByte(list[i:], ',')
		if end < 0 {
			end = len(list) - i
		}
		if end >= maxSubpattern {
			return 0
		}
		sub := lower(list[i : i+end])
		i += end
		if i < len(list) {
			i++ // the comma
		}
		if matchPattern(name, sub) {
			if negated {
				return -1
			}
			positive = true
		}
	}
	if positive {
		return 1
	}
	return 0
}

// hashSalt extracts the salt of a hashed hosts field as OpenSSH's
// extract_salt does, or reports that OpenSSH rejects the field (a "bad
// host hash", which makes the line unreadable for every host).
func hashSalt(field string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(field, "|1|")
	if !ok {
		return nil, false
	}
	end := strings.IndexByte(rest, '|')
	if end <= 0 || end > 1024 {
		return nil, false
	}
	salt, err := base64.StdEncoding.Strict().DecodeString(rest[:end])
	if err != nil || len(salt) != sha1.Size {
		return nil, false
	}
	return salt, true
}

// hashName is the hashed field OpenSSH writes for name with salt.
func hashName(salt []byte, name string) string {
	mac := hmac.New(sha1.New, salt)
	mac.Write([]byte(name))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// hostsField is the hosts field as OpenSSH reads it ("" when the line has none).
func (l *Line) hostsField() string {
	if l.hostsEnd <= l.hostsStart {
		return ""
	}
	return l.Raw[l.hostsStart:l.hostsEnd]
}

// matches reports whether l's hosts field names name (lowercase, in
// OpenSSH's "host" or "[host]:port" form).
func (l *Line) matches(name string) bool {
	field := l.hostsField()
	if field == "" {
		return false
	}
	if l.Hashed {
		return l.salt != nil && hashName(l.salt, name) == field
	}
	return matchList(name, field) == 1
}

// matchLines returns, in file order, every line with a hosts field that
// names host on port, readable or not: no port fallback here. host must
// have passed normalizeHost.
func (f *File) matchLines(host string, port int) []*Line {
	name := hostName(host, port)
	var out []*Line
	for _, l := range f.Lines {
		if l.matches(name) {
			out = append(out, l)
		}
	}
	return out
}

// usable keeps the lines OpenSSH loads: entries with a key (of a type
// known here) and without an error.
func usable(lines []*Line) []*Line {
	var out []*Line
	for _, l := range lines {
		if l.Kind == Entry && l.Key != nil {
			out = append(out, l)
		}
	}
	return out
}

// unreadable keeps the lines that name the host but that sshpin cannot
// use: OpenSSH may read them (a key type unknown here) or may not, and a
// key written next to them could override a pin ssh enforces.
func unreadable(lines []*Line) []*Line {
	var out []*Line
	for _, l := range lines {
		if l.Kind == Invalid || (l.Kind == Entry && l.Key == nil) {
			out = append(out, l)
		}
	}
	return out
}

// changed drops what was derived from the lines.
func (f *File) changed() {
	f.mu.Lock()
	f.gen++
	f.mu.Unlock()
}
