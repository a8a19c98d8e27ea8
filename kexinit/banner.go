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
		return b, &Error{Kind: KindSSH1, Phase: "banner", Detail: fmt.Sprintf("server speaks only SSH-1, which is broken and unsupported; it said %q", clip(line))}
	default:
		return b, &Error{Kind: KindMalformed, Phase: "banner", Detail: fmt.Sprintf("unknown SSH protocol version %q", clip(proto))}
	}
	return b, nil
}

// maxVersionLine is RFC 4253 §4.2's limit, CR LF included.
const maxVersionLine = 255

// readBanner reads lines until the version line, keeping at most
// lim.KeepPreamble of the lines before it and counting all of them in
// lines. Lines are bounded by lim.MaxLineLen, their number by
// lim.MaxPreambleLines.
func readBanner(r *bufio.Reader, lim Limits) (b Banner, preamble []string, lines, received int, err error) {
	for ; ; lines++ {
		if lines > lim.MaxPreambleLines {
			return Banner{}, preamble, lines, received, &Error{Kind: KindLimit, Phase: "banner",
				Detail: fmt.Sprintf("more than %d lines before the version line", lim.MaxPreambleLines)}
		}
		if e := binaryAhead(r); e != nil {
			return Banner{}, preamble, lines, received, e
		}
		line, err := readLine(r, lim.MaxLineLen)
		received += len(line)
		if err != nil {
			if err == errLineTooLong {
				// The bound may have cut a UTF-8 sequence in two: that is
				// the bound's doing, not binary data from the server.
				line = dropCutRune(line)
			}
			if len(line) > 0 || len(preamble) > 0 {
				if e := notSSH(string(line)); e != nil {
					return Banner{}, preamble, lines, received, e
				}
			}
			if err == errLineTooLong {
				if bytes.HasPrefix(line, []byte("SSH-")) {
					return Banner{}, preamble, lines, received, &Error{Kind: KindMalformed, Phase: "banner",
						Detail: fmt.Sprintf("version line is longer than %d bytes, over RFC 4253's %d: %q", lim.MaxLineLen, maxVersionLine, clip(string(line)))}
				}
				return Banner{}, preamble, lines, received, &Error{Kind: KindLimit, Phase: "banner",
					Detail: fmt.Sprintf("a line before the version line is longer than %d bytes: %q", lim.MaxLineLen, clip(string(line)))}
			}
			if len(preamble) > 0 && KindOf(classify(err, "banner", received)) == KindClosed {
				return Banner{}, preamble, lines, received, &Error{Kind: KindNotSSH, Phase: "banner",
					Detail: fmt.Sprintf("no SSH version line before the server closed the connection; it said %q", clip(preamble[0])), Err: err}
			}
			return Banner{}, preamble, lines, received, classify(err, "banner", received)
		}
		s := strings.TrimRight(string(line), "\r\n")
		if strings.HasPrefix(s, "SSH-") {
			if len(line) > maxVersionLine {
				return Banner{}, preamble, lines, received, &Error{Kind: KindMalformed, Phase: "banner",
					Detail: fmt.Sprintf("version line is %d bytes, over RFC 4253's %d: %q", len(line), maxVersionLine, clip(s))}
			}
			b, err := ParseBanner(s)
			return b, preamble, lines, received, err
		}
		if e := notSSH(s); e != nil {
			return Banner{}, preamble, lines, received, e
		}
		if len(preamble) < lim.KeepPreamble {
			preamble = append(preamble, s)
		}
	}
}

var errLineTooLong = fmt.Errorf("line too long")

// dropCutRune drops an incomplete UTF-8 sequence at the end of b.
func dropCutRune(b []byte) []byte {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

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

// binaryAhead recognises binary data in what has already arrived of the
// next line. A binary greeting (a TLS alert, a MySQL handshake) may never
// send a newline, and waiting for one would turn a wrong port into a
// timeout.
func binaryAhead(r *bufio.Reader) error {
	if _, err := r.Peek(1); err != nil {
		return nil // the line reader reports it
	}
	b, _ := r.Peek(r.Buffered())
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	// Bytes below 0x20 never occur inside a UTF-8 sequence, so a partial
	// rune at the end of the buffer cannot trip this.
	if bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\r' }) {
		return notSSH(string(b))
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
