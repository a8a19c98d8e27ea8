package main

// scan --tls: a TLS server's certificate and its fingerprints, written as a
// pin file (every line but the pin a comment), so that
// `sshpin scan --tls host:port > server.pins` makes what --pinned-cert reads.

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/sshpin/sshpin/report"
	"github.com/sshpin/sshpin/target"
	"github.com/sshpin/sshpin/tlspin"
)

// tlsRecord is scan --tls --json's line per target.
type tlsRecord struct {
	Target  string     `json:"target"`
	Host    string     `json:"host"`
	Port    int        `json:"port"`
	Address string     `json:"address,omitempty"`
	Error   string     `json:"error,omitempty"`
	TLS     *tlsFacts  `json:"tls,omitempty"`
	Chain   []tlsFacts `json:"chain,omitempty"` // the certificates after the server's own
}

type tlsFacts struct {
	Subject      string   `json:"subject"`
	Issuer       string   `json:"issuer"`
	DNSNames     []string `json:"dns_names,omitempty"`
	IPAddresses  []string `json:"ip_addresses,omitempty"`
	NotBefore    string   `json:"not_before"`
	NotAfter     string   `json:"not_after"`
	SelfSigned   bool     `json:"self_signed"`
	CertSHA256   string   `json:"cert_sha256"`         // SHA256:base64
	CertOpenSSL  string   `json:"cert_sha256_openssl"` // AA:BB:...
	SPKISHA256   string   `json:"spki_sha256"`
	SPKISHA256Hx string   `json:"spki_sha256_hex"`
	Pin          string   `json:"pin"` // the pin file line
}

func factsOf(c *x509.Certificate) tlsFacts {
	f := tlspin.Of(c)
	t := tlsFacts{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
		SelfSigned: bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil,
		CertSHA256: f.Cert.String(), CertOpenSSL: f.Cert.OpenSSL(), SPKISHA256: f.SPKI.String(), SPKISHA256Hx: f.SPKI.Hex(),
		Pin: tlspin.Line(tlspin.SPKI, f.SPKI),
	}
	for _, ip := range c.IPAddresses {
		t.IPAddresses = append(t.IPAddresses, ip.String())
	}
	return t
}

// runTLSScan reads each target's certificate. It stops the TLS handshake
// once the certificates are in: the server behind a TLS super-server is
// never started.
func (e *env) runTLSScan(ctx context.Context, cmd *cli.Command) error {
	if cmd.Bool("known-hosts") || cmd.Bool("hash") || cmd.Bool("legacy") {
		return &usageError{msg: "--known-hosts, --hash and --legacy are for SSH servers, not --tls", hint: "sshpin scan --tls HOST:PORT > server.pins"}
	}
	timeout := cmd.Duration("timeout")
	if timeout <= 0 {
		return &usageError{msg: "--timeout must be positive"}
	}
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	targets, err := e.gatherTargets(cmd)
	if err != nil {
		return err
	}
	failed := 0
	if format == report.FormatMarkdown {
		fmt.Fprintf(e.stdout, "| target | address | subject | certificate SHA-256 | public key (SPKI) SHA-256 | not after |\n|---|---|---|---|---|---|\n")
	}
	for _, t := range targets {
		if ctx.Err() != nil {
			return &exitError{exitInterrupted, errors.New("interrupted")}
		}
		rec := tlsRecord{Target: t.Raw, Host: t.Host, Port: t.Port}
		addr, chain, err := fetchCerts(ctx, t, cmd.String("tls-name"), timeout)
		rec.Address = addr
		if err != nil {
			failed++
			rec.Error = err.Error()
			switch format {
			case report.FormatJSON:
				report.WriteJSON(e.stdout, rec)
			case report.FormatPlain:
				fmt.Fprintf(e.stdout, "%s %s error %s\n", report.PlainField(t.String()), report.PlainField(addr), report.PlainField(err.Error()))
			case report.FormatMarkdown:
				fmt.Fprintf(e.stdout, "| %s | %s | error: %s | | | |\n", report.MarkdownCell(t.String()), report.MarkdownCell(addr), report.MarkdownCell(err.Error()))
			default:
				e.warnf("%s: %s", t, err)
			}
			continue
		}
		leaf := factsOf(chain[0])
		rec.TLS = &leaf
		for _, c := range chain[1:] {
			rec.Chain = append(rec.Chain, factsOf(c))
		}
		switch format {
		case report.FormatJSON:
			report.WriteJSON(e.stdout, rec)
		case report.FormatPlain:
			// One record per line: target address kind sum subject.
			for _, k := range []struct{ kind, sum string }{{"cert", leaf.CertSHA256}, {"spki", leaf.SPKISHA256}} {
				fmt.Fprintf(e.stdout, "%s %s %s %s %s\n", report.PlainField(t.String()), report.PlainField(addr), k.kind, k.sum, report.PlainField(leaf.Subject))
			}
		case report.FormatMarkdown:
			fmt.Fprintf(e.stdout, "| %s | %s | %s | `%s` | `%s` | %s |\n", report.MarkdownCell(t.String()), report.MarkdownCell(addr),
				report.MarkdownCell(leaf.Subject), leaf.CertSHA256, leaf.SPKISHA256, leaf.NotAfter)
		default:
			e.printTLSFacts(t, addr, leaf, chain[0])
		}
	}
	if failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("%d of %d targets could not be read", failed, len(targets))}
	}
	return nil
}

// printTLSFacts writes one server as pin file text: what a user checks by
// eye as comments, the pin as the one line that is not. What the server
// chose (names) goes through report.Safe, so that a comment stays one line.
func (e *env) printTLSFacts(t target.Target, addr string, f tlsFacts, c *x509.Certificate) {
	w := e.stdout
	width := report.WidthOf(w)
	// comment writes "#   label value", every line of it a comment (a
	// line that is not would be read as a pin), wrapped to the width.
	comment := func(label, value string) {
		prefix := fmt.Sprintf("#   %-12s", label)
		for i, l := range report.WrapLine(report.Safe(value), max(width-len(prefix), 16)) {
			if i > 0 {
				prefix = "#" + strings.Repeat(" ", len(prefix)-1)
			}
			fmt.Fprintln(w, strings.TrimRight(prefix+l, " "))
		}
	}
	fmt.Fprintf(w, "# %s\n", report.Safe(fmt.Sprintf("%s (%s): TLS certificate", t, addr)))
	comment("subject:", f.Subject)
	comment("issuer:", f.Issuer)
	var names []string
	for _, n := range f.DNSNames {
		names = append(names, "DNS:"+n)
	}
	for _, n := range f.IPAddresses {
		names = append(names, "IP:"+n)
	}
	if len(names) > 0 {
		comment("names:", strings.Join(names, ", "))
	}
	valid := ""
	now := time.Now()
	switch {
	case now.Before(c.NotBefore):
		valid = "  (not yet valid)"
	case now.After(c.NotAfter):
		valid = "  (expired)"
	}
	comment("valid:", f.NotBefore+" to "+f.NotAfter+valid)
	if f.SelfSigned {
		fmt.Fprintf(w, "#   self-signed\n")
	}
	comment("certificate", f.CertSHA256)
	// openssl x509 -fingerprint -sha256's form; where it does not fit,
	// 16 bytes a line (it is compared by eye, the pin line is copied).
	openssl := f.CertOpenSSL
	if width < 16+len(openssl) && len(openssl) == 95 {
		openssl = openssl[:48] + " " + openssl[48:]
	}
	comment("  openssl", openssl)
	comment("public key", f.SPKISHA256+" (spki)")
	comment("  spki hex", f.SPKISHA256Hx)
	fmt.Fprintf(w, "%s\n", f.Pin)
}

// fetchCerts dials t and reads its certificate chain, within timeout.
func fetchCerts(ctx context.Context, t target.Target, name string, timeout time.Duration) (addr string, chain []*x509.Certificate, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{}
	conn, err := d.DialContext(ctx, "tcp", t.String())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return "", nil, fmt.Errorf("timed out: no connection within %s", timeout)
		}
		return "", nil, err
	}
	defer conn.Close()
	addr = conn.RemoteAddr().String()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if name == "" {
		name = t.Host
	}
	chain, _, err = tlspin.Fetch(ctx, conn, name)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return addr, nil, fmt.Errorf("timed out: no TLS certificate within %s", timeout)
		}
		return addr, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	if len(chain) == 0 {
		return addr, nil, errors.New("the server presented no certificate")
	}
	return addr, chain, nil
}
