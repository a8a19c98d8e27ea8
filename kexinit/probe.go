package kexinit

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// ClientVersion is the version line sshpin sends, without CR LF.
const ClientVersion = "SSH-2.0-sshpin"

// probeKexInit offers every name a server might insist on, so that servers
// which answer only a client KEXINIT they like (RouterOS, some Cisco) still
// send theirs. It is never used to negotiate: the probe stops at the hello.
var probeKexInit = KexInit{
	KexAlgos: []string{"mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
		"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512",
		"diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1",
		"diffie-hellman-group1-sha1", "ext-info-c", "kex-strict-c-v00@openssh.com"},
	ServerHostKeyAlgos: []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
	CiphersClientServer: probeCiphers, CiphersServerClient: probeCiphers,
	MACsClientServer: probeMACs, MACsServerClient: probeMACs,
	CompressionClientServer: []string{"none", "zlib@openssh.com", "zlib"},
	CompressionServerClient: []string{"none", "zlib@openssh.com", "zlib"},
	LanguagesClientServer:   []string{}, LanguagesServerClient: []string{},
}

var (
	probeCiphers = []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"}
	probeMACs = []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "umac-128-etm@openssh.com",
		"hmac-sha2-256", "hmac-sha2-512", "hmac-sha1", "hmac-sha1-96", "hmac-md5"}
)

// ClientHello is what the probe sends at once: our version line and our
// KEXINIT, so that no server waits on us.
func ClientHello() []byte {
	k := probeKexInit
	rand.Read(k.Cookie[:])
	b := []byte(ClientVersion + "\r\n")
	return AppendPacket(b, k.Marshal())
}

// Probe sends the client hello on conn and reads the server's. The caller
// owns conn and its deadline.
func Probe(conn net.Conn, lim Limits) (*Hello, error) {
	if _, err := conn.Write(ClientHello()); err != nil {
		return nil, classify(err, "banner", 0)
	}
	return ReadHello(conn, lim)
}

// Dial resolves host once and connects to the first of its addresses that
// answers, within ctx. The connection's deadline is set to ctx's, and
// cancelling ctx unblocks any read or write on it, so nothing a server does
// keeps a caller past its deadline.
func Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, classify(err, "connect", 0)
		}
		addrs = ips
	}
	if len(addrs) == 0 {
		return nil, &Error{Kind: KindResolve, Phase: "connect", Detail: "cannot resolve " + host + ": no addresses"}
	}
	var d net.Dialer
	var first error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a.Unmap().String(), strconv.Itoa(port)))
		if err == nil {
			bindDeadline(ctx, conn)
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	err := classify(first, "connect", 0)
	if len(addrs) > 1 {
		if e, ok := err.(*Error); ok {
			e.Detail = fmt.Sprintf("%s (tried %d addresses)", e.Detail, len(addrs))
		}
	}
	return nil, err
}

func bindDeadline(ctx context.Context, conn net.Conn) {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
}

// AddrOf returns the IP a connection reached, for the report's address field.
func AddrOf(conn net.Conn) string {
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap().String()
	}
	return conn.RemoteAddr().String()
}
