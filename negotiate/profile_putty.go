package negotiate

import "github.com/sshpin/sshpin/audit"

// putty078 is plink 0.78 (Debian 12), its KEXINIT captured
// (testdata/audit/captured/client-putty-0.78.json). PuTTY sends every
// algorithm it implements, including those below the "warn below here" line
// of its preference lists: those still negotiate, but PuTTY asks the user
// first, and plink -batch refuses.
var putty078 = Profile{
	Name:        "putty-0.78",
	Description: "PuTTY/plink 0.78 (captured; everything below 'warn below here' prompts)",
	KexAlgos: []string{"sntrup761x25519-sha512@openssh.com", "curve448-sha512",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1",
		"diffie-hellman-group18-sha512", "diffie-hellman-group17-sha512",
		"diffie-hellman-group16-sha512", "diffie-hellman-group15-sha512",
		"diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1",
		"rsa2048-sha256", "rsa1024-sha1", "diffie-hellman-group1-sha1",
		"ext-info-c", "kex-strict-c-v00@openssh.com"},
	HostKeyAlgos: []string{"ssh-ed448", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
	Ciphers: []string{"aes256-ctr", "aes256-cbc", "rijndael-cbc@lysator.liu.se", "aes192-ctr", "aes192-cbc",
		"aes128-ctr", "aes128-cbc", "chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com",
		"aes256-gcm@openssh.com", "3des-ctr", "3des-cbc", "blowfish-ctr", "blowfish-cbc",
		"arcfour256", "arcfour128"},
	MACs: []string{"hmac-sha2-256", "hmac-sha1", "hmac-sha1-96", "hmac-md5",
		"hmac-sha2-256-etm@openssh.com", "hmac-sha1-etm@openssh.com",
		"hmac-sha1-96-etm@openssh.com", "hmac-md5-etm@openssh.com"},
	Compression: []string{"none", "zlib", "zlib@openssh.com"},
	Enable: func() map[audit.Category]Enabling {
		const no = "PuTTY 0.78 does not implement it (it already offers everything it implements)"
		return map[audit.Category]Enabling{
			audit.Kex: {Otherwise: no}, audit.HostKeyAlg: {Otherwise: no}, audit.Cipher: {Otherwise: no},
			audit.MAC: {Otherwise: no}, audit.Compression: {Otherwise: no},
		}
	}(),
	SetHostKeyAlgorithms: "Connection > SSH > Host keys: move {list} to the top",
	// PuTTY 0.68-0.73 put the types of cached host keys first (the leak
	// CVE-2020-14002 names); how 0.74 and later order them was not
	// verified, so the pitfall is reported rather than assumed away.
	PrefersPinnedTypes: false,
}
