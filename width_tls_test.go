package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/clipperhouse/displaywidth"

	"github.com/sshpin/sshpin/internal/testpeer"
)

// tlsOnly is a TLS server that completes handshakes and serves nothing:
// enough for scan --tls, and for an sftp --tls that is refused before
// its first SFTP byte.
func tlsOnly(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.(*tls.Conn).Handshake()
			}(c)
		}
	}()
	return ln.Addr().String()
}

// TestTLSOutputFitsTheTerminal: scan --tls's pin file and a refused
// sftp --tls's fingerprints (stdout and stderr both: a terminal shows
// both) fit 80 and 200 columns, and the pin file printed at 80 columns
// still pins the server.
func TestTLSOutputFitsTheTerminal(t *testing.T) {
	addr := tlsOnly(t, testpeer.SelfSigned(t, "127.0.0.1", "a-rather-long-name-for-a-file-server.internal.example.com"))
	wrong := filepath.Join(t.TempDir(), "wrong.pins")
	os.WriteFile(wrong, []byte("sha256 Fingerprint=58:FA:3E:0A:B6:7C:22:EA:51:22:80:3F:21:55:9F:61:CF:9D:2D:F6:1B:B0:89:96:D7:A3:33:35:02:3F:4E:AC\n"), 0o644)
	runs := [][]string{
		{"scan", "--tls", addr},
		{"sftp", "--tls", addr, "--pinned-cert", wrong, "ls", ":"},
	}
	for _, width := range []int{80, 200} {
		t.Setenv("COLUMNS", strconv.Itoa(width))
		for _, args := range runs {
			var out, errs bytes.Buffer
			code := run(context.Background(), append([]string{"sshpin"}, args...), strings.NewReader(""), &out, &errs)
			if want := map[string]int{"scan": 0, "sftp": 1}[args[0]]; code != want {
				t.Errorf("sshpin %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errs.String())
			}
			for _, l := range strings.Split(out.String()+errs.String(), "\n") {
				if w := displaywidth.String(l); w > width {
					t.Errorf("%d columns: sshpin %s: a line of %d columns:\n%s", width, strings.Join(args, " "), w, l)
				}
			}
			if args[0] == "scan" && len(args) == 3 {
				pins := filepath.Join(t.TempDir(), "server.pins")
				os.WriteFile(pins, out.Bytes(), 0o644)
				var errs bytes.Buffer
				// The server serves no SFTP: a pin that matched gets past
				// the certificate and fails later, exit 2, not 1.
				if code := run(context.Background(), []string{"sshpin", "sftp", "--timeout", "5s", "--tls", addr, "--pinned-cert", pins, "ls", ":"}, strings.NewReader(""), &bytes.Buffer{}, &errs); code != 2 || strings.Contains(errs.String(), "refused before SFTP") {
					t.Errorf("%d columns: the printed pin file did not pin the server (exit %d):\n%s\n%s", width, code, out.String(), errs.String())
				}
			}
		}
	}
}
