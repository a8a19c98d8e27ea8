package kexinit

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Banner is the server's identification string (RFC 4253 §4.2) split into
// its parts: SSH-<Proto>-<Software> <Comment>.
type Banner struct {
	Raw      string `json:"raw"`
	Proto    string `json:"protocol"`
	Software string `json:"software"`
	Comment  string `json:"comment,omitempty"`
}

// ParseBanner splits a version line (without its line ending).
func ParseBanner(line string) (Banner, error) {
	b := Banner{Raw: line}
	rest, ok := strings.CutPrefix(line, "SSH-")
	if !ok {
		return b, &Error{Kind: KindNotSSH, Phase: "banner", Detail: fmt.Sprintf("not an SSH version line: %q", clip(line))}
	}
	proto, rest, ok := strings.Cut(rest, "-")
	if !ok || proto == "" {
		return b, &Error{Kind: KindMalformed, Phase: "banner", Detail: fmt.Sprintf("version line has no protocol version: %q", clip(line))}
	}
	b.Proto = proto
	b.Software, b.Comment, _ = strings.Cut(rest, " ")
	switch {
	case proto == "2.0" || proto == "1.99":
	case strings.HasPrefix(proto, "1."):
		return b, &Error{Kind: KindSSH1, Phase: "banner", Detail: fmt.Sprintf("server speaks only SSH protocol %s (%q); SSH-1 is broken and unsupported", proto, clip(line))}
	default:
		return b, &Error{Kind: KindMalformed, Phase: "banner", Detail: fmt.Sprintf("unknown SSH protocol version %q", proto)}
	}
	return b, nil
}

// maxVersionLine is RFC 4253 §4.2's limit, CR LF included.
const maxVersionLine = 255

// readBanner reads lines until the version line, keeping at most
// lim.KeepPreamble of the lines before it. Lines are bounded by
// lim.MaxLineLen, their number by lim.MaxPreambleLines.
func readBanner(r *bufio.Reader, lim Limits) (Banner, []string, int, error) {
	var preamble []string
	received := 0
	for lines := 0; ; lines++ {
		if lines > lim.MaxPreambleLines {
			return Banner{}, preamble, received, &Error{Kind: KindLimit, Phase: "banner",
				Detail: fmt.Sprintf("more than %d lines before the version line", lim.MaxPreambleLines)}
		}
		line, err := readLine(r, lim.MaxLineLen)
		received += len(line)
		if err != nil {
			if len(line) > 0 || len(preamble) > 0 {
				if e := notSSH(string(line)); e != nil {
					return Banner{}, preamble, received, e
				}
			}
			if err == errLineTooLong {
				return Banner{}, preamble, received, &Error{Kind: KindLimit, Phase: "banner",
					Detail: fmt.Sprintf("a line before the version line is longer than %d bytes: %q", lim.MaxLineLen, clip(string(line)))}
			}
			if len(preamble) > 0 && KindOf(classify(err, "banner", received)) == KindClosed {
				return Banner{}, preamble, received, &Error{Kind: KindNotSSH, Phase: "banner",
					Detail: fmt.Sprintf("no SSH version line before the server closed the connection; it said %q", clip(preamble[0])), Err: err}
			}
			return Banner{}, preamble, received, classify(err, "banner", received)
		}
		s := strings.TrimRight(string(line), "\r\n")
		if strings.HasPrefix(s, "SSH-") {
			if len(line) > maxVersionLine {
				return Banner{}, preamble, received, &Error{Kind: KindMalformed, Phase: "banner",
					Detail: fmt.Sprintf("version line is %d bytes, over RFC 4253's %d: %q", len(line), maxVersionLine, clip(s))}
			}
			b, err := ParseBanner(s)
			return b, preamble, received, err
		}
		if e := notSSH(s); e != nil {
			return Banner{}, preamble, received, e
		}
		if len(preamble) < lim.KeepPreamble {
			preamble = append(preamble, s)
		}
	}
}

var errLineTooLong = fmt.Errorf("line too long")

// readLine returns one line, its LF included, or what it read before an
// error. It reads through bufio's buffer, so a line is never longer than max
// in memory however long the server makes it.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > max {
			return line[:max], errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

// greetings other protocols send first, which tell a wrong port at once
// instead of after the timeout.
var greetings = []string{"HTTP/", "<!DOCTYPE", "<html", "220 ", "220-", "+OK", "* OK", "RFB ", "-ERR"}

// notSSH recognises a line no SSH server sends: another protocol's greeting,
// or binary data (a TLS alert, a database handshake).
func notSSH(line string) error {
	for _, g := range greetings {
		if strings.HasPrefix(line, g) {
			return &Error{Kind: KindNotSSH, Phase: "banner", Detail: fmt.Sprintf("not an SSH server; it said %q", clip(line))}
		}
	}
	if !utf8.ValidString(line) || bytes.ContainsFunc([]byte(line), func(r rune) bool { return r < 0x20 && r != '\t' && r != '\r' && r != '\n' }) {
		return &Error{Kind: KindNotSSH, Phase: "banner", Detail: fmt.Sprintf("not an SSH server; it sent binary data %q", clip(line))}
	}
	return nil
}

// clip keeps error messages one line long whatever the server sent.
func clip(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
