package report

import (
	"strconv"
	"strings"
	"unicode"
)

// safe makes text a server chose fit for a terminal: control characters
// (an escape sequence in a banner can rewrite the screen) are shown quoted,
// everything else as is. JSON needs none of this; encoding/json escapes.
func safe(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar }) < 0 {
		return s
	}
	q := strconv.QuoteToASCII(s)
	return q[1 : len(q)-1]
}

// Safe is safe for the CLI's own lines on stderr.
func Safe(s string) string { return safe(s) }

// safeList is safe for each name, one per line.
func safeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = safe(n)
	}
	return strings.Join(out, "\n")
}
