package tlspin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/sshpin/sshpin/internal/atomicfile"
)

// Policy says which TLS servers to trust. At least one of PinFile and
// CAFile is set; with both, the certificate must pass both.
type Policy struct {
	// PinFile holds the pins (see Parse). With TrustOnFirstUse it may be
	// missing or hold no pin: the first server's public key is then
	// written to it, atomically, before anything else is sent.
	PinFile         string
	TrustOnFirstUse bool
	// CAFile is a PEM bundle of CA certificates: the server's chain must
	// lead to one of them, be valid now, and name ServerName.
	CAFile string
	// ServerName is the name sent in SNI (unless it is an IP address) and
	// checked against a CA-signed certificate.
	ServerName string
	// Now is the time validity is checked at; nil means time.Now.
	Now func() time.Time
}

// Checker is a Policy with its files read.
type Checker struct {
	p     Policy
	pins  *Set
	roots *x509.CertPool
}

// Load reads the policy's files. A missing pin file is an error (wrapping
// fs.ErrNotExist) unless TrustOnFirstUse.
func Load(p Policy) (*Checker, error) {
	if p.PinFile == "" && p.CAFile == "" {
		return nil, errors.New("tlspin: nothing to verify the server with: no pin file and no CA bundle")
	}
	if p.TrustOnFirstUse && p.PinFile == "" {
		return nil, errors.New("tlspin: trust on first use needs a pin file to write")
	}
	c := &Checker{p: p}
	if p.PinFile != "" {
		s, err := ReadFile(p.PinFile)
		switch {
		case errors.Is(err, fs.ErrNotExist) && p.TrustOnFirstUse:
			c.pins = &Set{Path: p.PinFile}
		case err != nil:
			return nil, err
		default:
			c.pins = s
		}
	}
	if p.CAFile != "" {
		pool, err := readCAFile(p.CAFile)
		if err != nil {
			return nil, err
		}
		c.roots = pool
	}
	return c, nil
}

// readCAFile reads a PEM bundle; one that holds no certificate is an
// error, since it would vouch for nobody and look like it did.
func readCAFile(path string) (*x509.CertPool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := readBounded(f, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("tlspin: %s: %w", path, err)
	}
	pool := x509.NewCertPool()
	n := 0
	for len(data) > 0 {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tlspin: %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("tlspin: %s holds no PEM certificate", path)
	}
	return pool, nil
}

// Verified is what a successful check found.
type Verified struct {
	Fingerprints
	Leaf    *x509.Certificate
	Pin     *Pin   // the pin that matched; nil when only the CA vouched
	PinFile string // where Pin is, or where trust on first use wrote
	CA      bool   // the CA bundle vouched for the certificate and name
	Trusted bool   // trust on first use pinned the key into PinFile
}

// Handshake runs TLS as a client on conn, addr naming the server in
// errors, and checks the server's certificate inside the handshake: a
// server that fails the check gets a bad_certificate alert and nothing
// else. A refusal is a *MismatchError, *UnknownError, *CAError or
// *TrustError.
func (c *Checker) Handshake(ctx context.Context, conn net.Conn, addr string) (*tls.Conn, *Verified, error) {
	var v *Verified
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// crypto/tls's own verification is replaced by VerifyConnection,
		// which runs in the same place: before the client's Finished.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			var err error
			v, err = c.check(cs, addr)
			return err
		},
	}
	if net.ParseIP(c.p.ServerName) == nil {
		cfg.ServerName = c.p.ServerName
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, err
	}
	return tc, v, nil
}

func (c *Checker) check(cs tls.ConnectionState, addr string) (*Verified, error) {
	if len(cs.PeerCertificates) == 0 {
		return nil, errors.New("tlspin: the server presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	v := &Verified{Fingerprints: Of(leaf), Leaf: leaf}
	if c.roots != nil {
		inter := x509.NewCertPool()
		for _, ic := range cs.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		now := time.Now
		if c.p.Now != nil {
			now = c.p.Now
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots: c.roots, Intermediates: inter, DNSName: c.p.ServerName,
			CurrentTime: now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return nil, &CAError{Addr: addr, Path: c.p.CAFile, Name: c.p.ServerName, Got: v.Fingerprints, Err: err}
		}
		v.CA = true
	}
	if c.pins == nil {
		return v, nil
	}
	v.PinFile = c.pins.Path
	if p, ok := c.pins.Match(v.Fingerprints); ok {
		v.Pin = &p
		return v, nil
	}
	if len(c.pins.Pins) > 0 {
		return nil, &MismatchError{Addr: addr, Path: c.pins.Path, Got: v.Fingerprints, Want: c.pins.Pins}
	}
	if !c.p.TrustOnFirstUse {
		return nil, &UnknownError{Addr: addr, Path: c.pins.Path, Got: v.Fingerprints}
	}
	p, err := trust(c.pins.Path, addr, v.Fingerprints)
	if err != nil {
		return nil, err
	}
	v.Pin, v.Trusted = p, true
	return v, nil
}

// trust appends f's public key pin to path, atomically, under the lock of
// path+".lock" (as knownhosts writes). The file is read again first: a pin
// another run wrote since Load is checked, never written over.
func trust(path, addr string, f Fingerprints) (*Pin, error) {
	unlock, err := atomicfile.Lock(path + ".lock")
	if err != nil {
		return nil, &TrustError{Path: path, Err: err}
	}
	defer unlock()
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, &TrustError{Path: path, Err: err}
	}
	if len(old) > MaxFileSize {
		return nil, &TrustError{Path: path, Err: fmt.Errorf("larger than %d bytes", MaxFileSize)}
	}
	pins, err := parseBytes(old)
	if err != nil {
		return nil, &TrustError{Path: path, Err: err}
	}
	if len(pins) > 0 {
		s := &Set{Path: path, Pins: pins}
		if p, ok := s.Match(f); ok {
			return &p, nil
		}
		return nil, &MismatchError{Addr: addr, Path: path, Got: f, Want: pins}
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	lines := countLines(old)
	// Only our own text goes in: the address as the user wrote it and
	// the digests. Nothing the server chose (its subject) is written.
	add := fmt.Sprintf("# %s: trusted on first use by sshpin at %s\n# certificate %s\n# (openssl x509 -fingerprint -sha256: %s)\n%s\n",
		oneLine(addr), time.Now().UTC().Format(time.RFC3339), f.Cert, f.Cert.OpenSSL(), Line(SPKI, f.SPKI))
	if err := atomicfile.WriteBytes(path, 0o644, append(old, add...)); err != nil {
		return nil, &TrustError{Path: path, Err: err}
	}
	return &Pin{Kind: SPKI, Sum: f.SPKI, Line: lines + 4}, nil
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// oneLine keeps a comment on its line whatever the address holds.
func oneLine(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r < ' ' || r == 0x7f {
			out[i] = '?'
		}
	}
	return string(out)
}

// errCaptured stops a Fetch handshake once the certificates are in.
var errCaptured = errors.New("tlspin: certificates captured")

// Fetch reads the certificate chain a TLS server presents on conn, with
// nothing checked, and ends the handshake there: the server never sees a
// finished handshake, so a super-server behind it starts nothing. serverName
// is sent in SNI unless it is an IP address.
func Fetch(ctx context.Context, conn net.Conn, serverName string) ([]*x509.Certificate, tls.ConnectionState, error) {
	var got tls.ConnectionState
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			got = cs
			return errCaptured
		},
	}
	if net.ParseIP(serverName) == nil {
		cfg.ServerName = serverName
	}
	err := tls.Client(conn, cfg).HandshakeContext(ctx)
	if errors.Is(err, errCaptured) {
		return got.PeerCertificates, got, nil
	}
	if err == nil {
		err = errors.New("tlspin: the handshake ended without certificates")
	}
	return nil, got, err
}
