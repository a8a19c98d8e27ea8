package negotiate

import (
	"slices"

	"github.com/sshpin/sshpin/audit"
)

// paramiko's Transport._preferred_* tuples (transport.py). The client sends
// them with ext-info-c and, since 3.4, kex-strict-c-v00@openssh.com
// appended. curve25519-sha256@libssh.org leads when the cryptography
// library supports X25519, as every current one does; paramiko has never
// offered the RFC 8731 name curve25519-sha256.
var (
	paramikoKex = []string{"curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group16-sha512", "diffie-hellman-group-exchange-sha256",
		"diffie-hellman-group14-sha256", "diffie-hellman-group-exchange-sha1",
		"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1",
		"ext-info-c", "kex-strict-c-v00@openssh.com"}
	paramikoCiphers = []string{"aes128-ctr", "aes192-ctr", "aes256-ctr",
		"aes128-cbc", "aes192-cbc", "aes256-cbc", "3des-cbc",
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	paramikoMACs = []string{"hmac-sha2-256", "hmac-sha2-512",
		"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
		"hmac-sha1", "hmac-md5", "hmac-sha1-96", "hmac-md5-96"}
	paramiko4Keys = []string{"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}
)

// paramiko offers everything it implements: disabled_algorithms can only
// take names away, so nothing outside its lists can be enabled.
func paramikoEnable(hostkey Enabling) map[audit.Category]Enabling {
	const no = "paramiko offers every algorithm it implements by default (disabled_algorithms only removes)"
	return map[audit.Category]Enabling{
		audit.Kex:        {Otherwise: no},
		audit.HostKeyAlg: hostkey,
		audit.Cipher:     {Otherwise: no},
		audit.MAC:        {Otherwise: no},
		audit.Compression: {Available: []string{"zlib@openssh.com", "zlib"},
			Option: "SSHClient.connect(..., compress=True)", Otherwise: "paramiko implements only none, zlib@openssh.com and zlib"},
	}
}

const (
	paramikoSetKeys = `SSHClient.connect(..., disabled_algorithms={"keys": [{others}]})`
	paramikoNoKey   = "paramiko offers every algorithm it implements by default (disabled_algorithms only removes)"
)

// paramiko3 is 3.4-3.5: the 4.x lists plus DSA, which 4.0 removed
// (changelog 4.0.0).
var paramiko3 = Profile{
	Name:                 "paramiko-3",
	Description:          "paramiko 3.4-3.5 Transport defaults (ssh-rsa and ssh-dss offered)",
	KexAlgos:             paramikoKex,
	HostKeyAlgos:         append(slices.Clone(paramiko4Keys), "ssh-dss"),
	Ciphers:              paramikoCiphers,
	MACs:                 paramikoMACs,
	Compression:          []string{"none"},
	Enable:               paramikoEnable(Enabling{Otherwise: paramikoNoKey}),
	SetHostKeyAlgorithms: paramikoSetKeys,
	// client.py SSHClient.connect moves the type of the first known_hosts
	// key for the host to the front; a bare Transport does not.
	PrefersPinnedTypes: true,
}

var paramiko4 = Profile{
	Name:                 "paramiko-4",
	Description:          "paramiko 4.x Transport defaults (DSA removed, ssh-rsa still offered)",
	KexAlgos:             paramikoKex,
	HostKeyAlgos:         paramiko4Keys,
	Ciphers:              paramikoCiphers,
	MACs:                 paramikoMACs,
	Compression:          []string{"none"},
	Enable:               paramikoEnable(Enabling{Otherwise: paramikoNoKey}),
	SetHostKeyAlgorithms: paramikoSetKeys,
	PrefersPinnedTypes:   true,
}

// paramiko5 drops ssh-rsa (SHA-1 signatures) from the defaults; the key
// class still implements it, so a monkeypatch brings it back. Whether 5.0
// changed other lists was not verified: they are the 4.x ones here.
var paramiko5 = Profile{
	Name:         "paramiko-5",
	Description:  "paramiko 5.x Transport defaults (ssh-rsa no longer offered)",
	KexAlgos:     paramikoKex,
	HostKeyAlgos: slices.Clone(paramiko4Keys[:len(paramiko4Keys)-1]),
	Ciphers:      paramikoCiphers,
	MACs:         paramikoMACs,
	Compression:  []string{"none"},
	Enable: paramikoEnable(Enabling{Available: []string{"ssh-rsa"},
		Option:    `paramiko.Transport._preferred_keys += ("{name}",)  # unsupported monkeypatch`,
		Otherwise: paramikoNoKey}),
	SetHostKeyAlgorithms: paramikoSetKeys,
	PrefersPinnedTypes:   true,
}
