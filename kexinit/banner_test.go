package kexinit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseBanner(t *testing.T) {
	tests := []struct {
		line     string
		proto    string
		software string
		comment  string
	}{
		{"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "2.0", "OpenSSH_9.6p1", "Ubuntu-3ubuntu13.5"},
		{"SSH-2.0-OpenSSH_5.3", "2.0", "OpenSSH_5.3", ""},
		{"SSH-2.0-dropbear_2022.83", "2.0", "dropbear_2022.83", ""},
		{"SSH-2.0-dropbear", "2.0", "dropbear", ""},
		{"SSH-2.0-AsyncSSH_2.14.2", "2.0", "AsyncSSH_2.14.2", ""},
		{"SSH-2.0-paramiko_3.4.0", "2.0", "paramiko_3.4.0", ""},
		{"SSH-2.0-Go", "2.0", "Go", ""},
		{"SSH-2.0-ROSSSH", "2.0", "ROSSSH", ""},
		{"SSH-2.0-Cisco-1.25", "2.0", "Cisco-1.25", ""},
		// tinysshd: a random suffix on every connection, in the software
		// field; the protocol still parses.
		{"SSH-2.0-tinysshd_20240101_kH3qZ9", "2.0", "tinysshd_20240101_kH3qZ9", ""},
		{"SSH-2.0-tinysshd_20240101_p0Wx2L", "2.0", "tinysshd_20240101_p0Wx2L", ""},
		{"SSH-1.99-OpenSSH_3.9p1", "1.99", "OpenSSH_3.9p1", ""},
		{"SSH-2.0-Foo comment with  several spaces", "2.0", "Foo", "comment with  several spaces"},
		{"SSH-2.0-Foo ", "2.0", "Foo", ""},
		{"SSH-2.0-", "2.0", "", ""},
	}
	for _, tt := range tests {
		b, err := ParseBanner(tt.line)
		if err != nil {
			t.Errorf("ParseBanner(%q): %v", tt.line, err)
			continue
		}
		want := Banner{Raw: tt.line, Proto: tt.proto, Software: tt.software, Comment: tt.comment}
		if b != want {
			t.Errorf("ParseBanner(%q) = %+v, want %+v", tt.line, b, want)
		}
	}
}

func TestParseBannerRejects(t *testing.T) {
	tests := []struct {
		line string
		kind Kind
	}{
		{"SSH-1.5-1.2.27", KindSSH1},
		{"SSH-1.0-x", KindSSH1},
		{"SSH-1.5-", KindSSH1},
		// The protocol field is the server's bytes too: the Detail quotes
		// it, so an escape sequence never reaches a terminal raw.
		{"SSH-1.\x1b]0;owned\x07-x", KindSSH1},
		{"SSH-1.\r-x", KindSSH1},
		{"SSH-9\x1b[2J-x", KindMalformed},
		{"SSH-" + strings.Repeat("\x01", 240) + "-x", KindMalformed},
		{"SSH-1." + strings.Repeat("\x01", 240) + "-x", KindSSH1},
		{"SSH--OpenSSH_9.6", KindMalformed},
		{"SSH-2.0", KindMalformed},
		{"SSH-", KindMalformed},
		{"SSH-3.0-Future", KindMalformed},
		{"SSH-2-x", KindMalformed},
		{"HTTP/1.1 400 Bad Request", KindNotSSH},
		{"ssh-2.0-lowercase", KindNotSSH},
		{" SSH-2.0-leading-space", KindNotSSH},
		{"", KindNotSSH},
	}
	for _, tt := range tests {
		_, err := ParseBanner(tt.line)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("ParseBanner(%q) = %v, want a *kexinit.Error", tt.line, err)
			continue
		}
		if e.Kind != tt.kind || e.Phase != "banner" {
			t.Errorf("ParseBanner(%q) = %s in %s, want %s in banner", tt.line, e.Kind, e.Phase, tt.kind)
		}
		checkDetail(t, e)
	}
}

// checkDetail asserts an error is worded for a person: a sentence, one line,
// printable, short enough for a table cell, whatever the server sent.
func checkDetail(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %T %v, want a *kexinit.Error", err, err)
		return
	}
	if e.Detail == "" {
		t.Errorf("%s error has no Detail: %v", e.Kind, e)
	}
	if len(e.Detail) > 400 {
		t.Errorf("%s Detail is %d bytes long: %q", e.Kind, len(e.Detail), e.Detail)
	}
	if !utf8.ValidString(e.Detail) || strings.ContainsFunc(e.Detail, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		t.Errorf("%s Detail holds raw control bytes: %q", e.Kind, e.Detail)
	}
}

// helloOf runs ReadHello over the bytes a server sent.
func helloOf(s string, lim Limits) (*Hello, error) {
	return ReadHello(strings.NewReader(s), lim)
}

// unitServerHello is a banner and a valid KEXINIT packet.
func unitServerHello(banner string) string {
	return banner + string(AppendPacket(nil, unitKexInit().Marshal()))
}

func TestReadHelloPreamble(t *testing.T) {
	const banner = "SSH-2.0-OpenSSH_9.6\r\n"
	lines := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("Welcome, line ")
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString("\r\n")
		}
		return b.String()
	}
	tests := []struct {
		name      string
		preamble  string
		lim       Limits
		kept      int
		linesSeen int
	}{
		{"none", "", Limits{}, 0, 0},
		{"one", "hello\r\n", Limits{}, 1, 1},
		{"LF only", "hello\nworld\n", Limits{}, 2, 2},
		{"empty lines", "\r\n\n\r\n", Limits{}, 3, 3},
		{"UTF-8 and tab", "Grüße\tdu\r\n", Limits{}, 1, 1},
		{"more than kept", lines(40), Limits{}, DefaultLimits.KeepPreamble, 40},
		{"exactly the line bound", lines(10), Limits{MaxPreambleLines: 10, KeepPreamble: 2}, 2, 10},
		{"one 300-byte line", strings.Repeat("b", 300) + "\r\n", Limits{}, 1, 1},
		{"line at the length bound", strings.Repeat("b", 62) + "\r\n", Limits{MaxLineLen: 64}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := helloOf(tt.preamble+unitServerHello(banner), tt.lim)
			if err != nil {
				t.Fatalf("ReadHello: %v", err)
			}
			if h.Banner.Software != "OpenSSH_9.6" {
				t.Errorf("banner %+v", h.Banner)
			}
			if len(h.Preamble) != tt.kept || h.PreambleLines != tt.linesSeen {
				t.Errorf("kept %d lines and counted %d, want %d and %d", len(h.Preamble), h.PreambleLines, tt.kept, tt.linesSeen)
			}
			for _, l := range h.Preamble {
				if strings.ContainsAny(l, "\r\n") {
					t.Errorf("preamble line %q keeps its line ending", l)
				}
			}
		})
	}
}

func TestReadHelloBannerFailures(t *testing.T) {
	tests := []struct {
		name string
		in   string
		lim  Limits
		kind Kind
	}{
		{"silent then closed", "", Limits{}, KindClosed},
		{"partial version line then closed", "SSH-2.0-Open", Limits{}, KindClosed},
		{"preamble then closed", "hello\r\nworld\r\n", Limits{}, KindNotSSH},
		{"SSH-1 only", "SSH-1.5-1.2.27\r\n", Limits{}, KindSSH1},
		{"SSH-1 after preamble", "hi\r\nSSH-1.5-1.2.27\r\n", Limits{}, KindSSH1},
		{"HTTP", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", Limits{}, KindNotSSH},
		{"HTML", "<!DOCTYPE html>\n", Limits{}, KindNotSSH},
		{"SMTP", "220 mail.example ESMTP\r\n", Limits{}, KindNotSSH},
		{"POP3", "+OK ready\r\n", Limits{}, KindNotSSH},
		{"IMAP", "* OK ready\r\n", Limits{}, KindNotSSH},
		{"VNC", "RFB 003.008\n", Limits{}, KindNotSSH},
		{"Redis", "-ERR unknown command\r\n", Limits{}, KindNotSSH},
		{"TLS alert, no newline", "\x15\x03\x01\x00\x02\x02\x46", Limits{}, KindNotSSH},
		{"binary with newline", "\x00\x01\x02\n", Limits{}, KindNotSSH},
		{"not UTF-8", "\xff\xfe\xfd\r\n", Limits{}, KindNotSSH},
		{"HTTP after a preamble line", "hi\r\nHTTP/1.0 200 OK\r\n", Limits{}, KindNotSSH},
		{"too many preamble lines", strings.Repeat("x\r\n", 11) + "SSH-2.0-x\r\n", Limits{MaxPreambleLines: 10}, KindLimit},
		{"default line count bound", strings.Repeat("\n", DefaultLimits.MaxPreambleLines+1) + "SSH-2.0-x\r\n", Limits{}, KindLimit},
		{"preamble line over the length bound", strings.Repeat("x", 65) + "\r\nSSH-2.0-x\r\n", Limits{MaxLineLen: 64}, KindLimit},
		{"endless line", strings.Repeat("x", 1<<20), Limits{}, KindLimit},
		{"version line over 255 bytes", "SSH-2.0-" + strings.Repeat("v", 250) + "\r\n", Limits{}, KindMalformed},
		{"unknown protocol", "SSH-3.0-x\r\n", Limits{}, KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := helloOf(tt.in, tt.lim)
			if KindOf(err) != tt.kind {
				t.Fatalf("ReadHello = %+v, %v; want kind %s", h, err, tt.kind)
			}
			if h != nil {
				t.Errorf("ReadHello returned a Hello with its error: %+v", h)
			}
			checkDetail(t, err)
		})
	}
}

// The version line is bounded at 255 bytes by RFC 4253 whatever the bound on
// other lines: one longer than MaxLineLen is the same malformed version line
// as one of 256 bytes, not "a line before the version line".
func TestVersionLineOverLineBoundIsMalformed(t *testing.T) {
	for _, n := range []int{256, 1023, 1024, 5000} {
		in := "SSH-2.0-" + strings.Repeat("v", n) + "\r\n"
		_, err := helloOf(in, Limits{})
		if KindOf(err) != KindMalformed {
			t.Errorf("%d-byte version line: %v, want %s", n+10, err, KindMalformed)
		}
		checkDetail(t, err)
	}
}

// A long line of text cut at the line bound may end inside a UTF-8
// sequence; that is the bound, not binary data.
func TestLongUTF8LineCutMidRuneIsLimit(t *testing.T) {
	for _, pad := range []string{"", "a", "ab", "abc"} {
		in := pad + strings.Repeat("€", 2000) + "\r\nSSH-2.0-x\r\n"
		_, err := helloOf(in, Limits{})
		if KindOf(err) != KindLimit {
			t.Errorf("pad %q: %v, want %s", pad, err, KindLimit)
		}
	}
}

// The line bound holds in memory as well as in the count: a line of a
// megabyte is refused after about MaxLineLen plus one buffer.
func TestEndlessLineReadsBounded(t *testing.T) {
	r := &countingReader{r: bytes.NewReader(bytes.Repeat([]byte("x"), 1<<20))}
	_, err := ReadHello(r, Limits{})
	if KindOf(err) != KindLimit {
		t.Fatalf("ReadHello = %v, want %s", err, KindLimit)
	}
	if r.n > DefaultLimits.MaxLineLen+8192 {
		t.Errorf("read %d bytes of one line before refusing it", r.n)
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
