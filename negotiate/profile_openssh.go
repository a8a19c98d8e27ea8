package negotiate

import "github.com/sshpin/sshpin/audit"

// OpenSSH's client sends ext-info-c since 7.2 and the strict-kex marker
// since 9.6 (and in distribution backports, such as Debian's 9.2p1-2+deb12u2).

func opensshEnable(kex, hostkeys, ciphers, macs []string, comp string) map[audit.Category]Enabling {
	const no = "this OpenSSH does not implement it"
	return map[audit.Category]Enabling{
		audit.Kex:         {Available: kex, Option: "ssh -o KexAlgorithms=+{name}", Otherwise: no},
		audit.HostKeyAlg:  {Available: hostkeys, Option: "ssh -o HostKeyAlgorithms=+{name}", Otherwise: no},
		audit.Cipher:      {Available: ciphers, Option: "ssh -o Ciphers=+{name}", Otherwise: no},
		audit.MAC:         {Available: macs, Option: "ssh -o MACs=+{name}", Otherwise: no},
		audit.Compression: {Otherwise: comp},
	}
}

// The SHA-1, MD5 and CBC names every OpenSSH since 7.x still implements but
// no longer offers (`ssh -Q kex|cipher|mac` on 9.2).
var (
	opensshLegacyKex     = []string{"diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1"}
	opensshLegacyCiphers = []string{"aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc"}
	opensshLegacyMACs    = []string{"hmac-sha1-96", "hmac-md5", "hmac-md5-96",
		"hmac-sha1-96-etm@openssh.com", "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com"}
)

// openSSH10 is the ssh_config(5) default of OpenSSH 10.0 to 10.2
// (mlkem768x25519-sha256 became the default in 10.0; DSA was removed in
// 10.0, so ssh-dss cannot be enabled).
var openSSH10 = Profile{
	Name:        "openssh-10",
	Description: "OpenSSH 10.x ssh(1) defaults (ssh_config(5))",
	KexAlgos: []string{"mlkem768x25519-sha256", "sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
		"diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
		"ext-info-c", "kex-strict-c-v00@openssh.com"},
	HostKeyAlgos: []string{"ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
		"sk-ssh-ed25519-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
		"rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256"},
	Ciphers: []string{"chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr"},
	MACs: []string{"umac-64-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com",
		"hmac-sha2-512-etm@openssh.com", "hmac-sha1-etm@openssh.com", "umac-64@openssh.com",
		"umac-128@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"},
	Compression: []string{"none", "zlib@openssh.com"},
	Enable: opensshEnable(opensshLegacyKex, []string{"ssh-rsa", "ssh-rsa-cert-v01@openssh.com"},
		opensshLegacyCiphers, opensshLegacyMACs, "OpenSSH 10 implements only none and zlib@openssh.com"),
	SetHostKeyAlgorithms: "ssh -o HostKeyAlgorithms={list}",
	// sshconnect2.c order_hostkeyalgs(): known_hosts types go first unless
	// HostKeyAlgorithms is set explicitly.
	PrefersPinnedTypes: true,
}

// openSSH92 is Debian 12's client, its KEXINIT captured with -F /dev/null
// (testdata/audit/captured/client-openssh-9.2.json).
var openSSH92 = Profile{
	Name:        "openssh-9.2",
	Description: "OpenSSH 9.2p1 ssh(1) defaults, captured from Debian 12's client",
	KexAlgos: []string{"sntrup761x25519-sha512", "sntrup761x25519-sha512@openssh.com",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
		"diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
		"ext-info-c", "kex-strict-c-v00@openssh.com"},
	HostKeyAlgos: openSSH10.HostKeyAlgos,
	Ciphers: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"},
	MACs:        openSSH10.MACs,
	Compression: []string{"none", "zlib@openssh.com", "zlib"},
	Enable: opensshEnable(opensshLegacyKex,
		[]string{"ssh-rsa", "ssh-rsa-cert-v01@openssh.com", "ssh-dss", "ssh-dss-cert-v01@openssh.com"},
		opensshLegacyCiphers, opensshLegacyMACs, "OpenSSH 9.2 implements only none, zlib@openssh.com and zlib"),
	SetHostKeyAlgorithms: "ssh -o HostKeyAlgorithms={list}",
	PrefersPinnedTypes:   true,
}

// openSSH74 is myproposal.h's KEX_CLIENT of OpenSSH 7.4 (CentOS 7's client):
// CBC ciphers and ssh-rsa still offered, no strict-kex marker. Available
// lists what 7.4 implements but does not offer: arcfour, blowfish, cast128
// and hmac-ripemd160 were removed only in 7.6 (release notes, as recalled;
// not checked against a 7.4 binary).
var openSSH74 = Profile{
	Name:        "openssh-7.4",
	Description: "OpenSSH 7.4 ssh(1) defaults (myproposal.h KEX_CLIENT)",
	KexAlgos: []string{"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
		"diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha1",
		"diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1", "ext-info-c"},
	HostKeyAlgos: []string{"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com",
		"ecdsa-sha2-nistp521-cert-v01@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
		"ssh-rsa-cert-v01@openssh.com", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"},
	Ciphers: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr",
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-cbc", "aes192-cbc", "aes256-cbc"},
	MACs:        openSSH10.MACs,
	Compression: []string{"none", "zlib@openssh.com", "zlib"},
	Enable: opensshEnable([]string{"diffie-hellman-group1-sha1"},
		[]string{"ssh-dss", "ssh-dss-cert-v01@openssh.com"},
		[]string{"3des-cbc", "blowfish-cbc", "cast128-cbc", "arcfour256", "arcfour128", "arcfour"},
		append([]string{"hmac-ripemd160", "hmac-ripemd160@openssh.com", "hmac-ripemd160-etm@openssh.com"}, opensshLegacyMACs...),
		"OpenSSH 7.4 implements only none, zlib@openssh.com and zlib"),
	SetHostKeyAlgorithms: "ssh -o HostKeyAlgorithms={list}",
	PrefersPinnedTypes:   true,
}
