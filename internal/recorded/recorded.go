// Package recorded holds KEXINITs captured from real servers, with the host
// keys they were started with, for golden tests here and in packages that
// render or diagnose them. Each function returns a fresh copy: a test that
// edits one (to remove the strict-kex marker, say) cannot disturb another.
//
// The lists were captured on Debian 12 with sshpin's kexinit.Probe against
// servers on 127.0.0.1: OpenSSH 9.2p1 Debian-2+deb12u10 and dropbear
// 2022.83-1+deb12u3 (both carry the strict-kex backport of CVE-2023-48795).
// The captures themselves, and the legacy sshd_config, are in
// testdata/audit/captured/.
package recorded

import "github.com/sshpin/sshpin/kexinit"

// Key is a host key a recorded server was started with.
type Key struct {
	Type string
	Bits int
}

// Server is one recorded server hello.
type Server struct {
	Name    string
	Banner  string
	KexInit *kexinit.KexInit
	Keys    []Key
}

// All returns every recorded server, in a stable order.
func All() []Server {
	return []Server{OpenSSH92(), OpenSSH92Legacy(), Dropbear202283()}
}

func both(l ...string) ([]string, []string) { return l, append([]string(nil), l...) }

func kexinit10(kex, hostkeys, ciphers, macs, comp []string) *kexinit.KexInit {
	k := &kexinit.KexInit{
		KexAlgos:              kex,
		ServerHostKeyAlgos:    hostkeys,
		LanguagesClientServer: []string{},
		LanguagesServerClient: []string{},
	}
	k.CiphersClientServer, k.CiphersServerClient = both(ciphers...)
	k.MACsClientServer, k.MACsServerClient = both(macs...)
	k.CompressionClientServer, k.CompressionServerClient = both(comp...)
	return k
}

// OpenSSH92 is Debian 12's sshd with its default configuration and RSA
// 3072, ECDSA P-256 and Ed25519 host keys.
func OpenSSH92() Server {
	return Server{
		Name:   "openssh-9.2",
		Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10",
		KexInit: kexinit10(
			[]string{"sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
				"curve25519-sha256", "curve25519-sha256@libssh.org",
				"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
				"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
				"diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
				"kex-strict-s-v00@openssh.com"},
			[]string{"rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"},
			[]string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
				"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"},
			[]string{"umac-64-etm@openssh.com", "umac-128-etm@openssh.com",
				"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
				"hmac-sha1-etm@openssh.com", "umac-64@openssh.com", "umac-128@openssh.com",
				"hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"},
			[]string{"none", "zlib@openssh.com"},
		),
		Keys: []Key{{"ssh-rsa", 3072}, {"ecdsa-sha2-nistp256", 256}, {"ssh-ed25519", 256}},
	}
}

// OpenSSH92Legacy is the same sshd configured the way old appliances are:
//
//	HostKey           (one RSA 2048 key)
//	HostKeyAlgorithms ssh-rsa
//	KexAlgorithms     diffie-hellman-group14-sha1
//	Ciphers           aes128-cbc,aes256-cbc,3des-cbc
//	MACs              hmac-sha1,hmac-sha2-256-etm@openssh.com
//
// CBC ciphers next to an EtM MAC make it a Terrapin candidate that the
// strict-kex marker saves.
func OpenSSH92Legacy() Server {
	return Server{
		Name:   "openssh-9.2-legacy",
		Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10",
		KexInit: kexinit10(
			[]string{"diffie-hellman-group14-sha1", "kex-strict-s-v00@openssh.com"},
			[]string{"ssh-rsa"},
			[]string{"aes128-cbc", "aes256-cbc", "3des-cbc"},
			[]string{"hmac-sha1", "hmac-sha2-256-etm@openssh.com"},
			[]string{"none", "zlib@openssh.com"},
		),
		Keys: []Key{{"ssh-rsa", 2048}},
	}
}

// Dropbear202283 is Debian 12's dropbear with Ed25519, RSA 2048 and ECDSA
// P-256 host keys. It lists zlib@openssh.com before none.
func Dropbear202283() Server {
	return Server{
		Name:   "dropbear-2022.83",
		Banner: "SSH-2.0-dropbear_2022.83",
		KexInit: kexinit10(
			[]string{"curve25519-sha256", "curve25519-sha256@libssh.org",
				"ecdh-sha2-nistp521", "ecdh-sha2-nistp384", "ecdh-sha2-nistp256",
				"diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1",
				"kexguess2@matt.ucc.asn.au", "kex-strict-s-v00@openssh.com"},
			[]string{"ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256", "ssh-rsa"},
			[]string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-ctr"},
			[]string{"hmac-sha1", "hmac-sha2-256"},
			[]string{"zlib@openssh.com", "none"},
		),
		Keys: []Key{{"ssh-ed25519", 256}, {"ssh-rsa", 2048}, {"ecdsa-sha2-nistp256", 256}},
	}
}
