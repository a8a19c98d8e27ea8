package negotiate

import "github.com/sshpin/sshpin/audit"

// dropbear202283 is Debian 12's dbclient, its KEXINIT captured
// (testdata/audit/captured/client-dropbear-2022.83.json). Debian builds it
// with DSA and the strict-kex backport; upstream's defaults differ.
var dropbear202283 = Profile{
	Name:        "dropbear-2022.83",
	Description: "dropbear 2022.83 dbclient as Debian 12 builds it (captured)",
	KexAlgos: []string{"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp521", "ecdh-sha2-nistp384", "ecdh-sha2-nistp256",
		"diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1",
		"kexguess2@matt.ucc.asn.au", "ext-info-c", "kex-strict-c-v00@openssh.com"},
	HostKeyAlgos: []string{"ssh-ed25519", "sk-ssh-ed25519@openssh.com",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
	Ciphers:     []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-ctr"},
	MACs:        []string{"hmac-sha1", "hmac-sha2-256"},
	Compression: []string{"zlib@openssh.com", "zlib", "none"},
	Enable: func() map[audit.Category]Enabling {
		// dbclient -c and -m only narrow or reorder the compiled-in lists.
		const no = "dropbear chooses its algorithms at compile time (localoptions.h)"
		return map[audit.Category]Enabling{
			audit.Kex: {Otherwise: no}, audit.HostKeyAlg: {Otherwise: no}, audit.Cipher: {Otherwise: no},
			audit.MAC: {Otherwise: no}, audit.Compression: {Otherwise: no},
		}
	}(),
	SetHostKeyAlgorithms: "not configurable in dbclient (compile time only)",
	// Whether dbclient prefers the types in its known_hosts was not
	// verified; the pitfall is reported rather than assumed away.
	PrefersPinnedTypes: false,
}
