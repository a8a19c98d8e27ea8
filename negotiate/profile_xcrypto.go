package negotiate

import (
	"slices"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/audit"
)

// xcryptoMarkers are what x/crypto's client appends to its kex list on the
// first key exchange (handshake.go: ext-info-c, then the strict-kex marker).
var xcryptoMarkers = []string{"ext-info-c", "kex-strict-c-v00@openssh.com"}

// withLibsshAlias mirrors x/crypto's Config.SetDefaults: configuring
// curve25519-sha256 also sends curve25519-sha256@libssh.org right after it,
// for servers up to OpenSSH 7.2.
func withLibsshAlias(kex []string) []string {
	var out []string
	for _, k := range kex {
		out = append(out, k)
		if k == "curve25519-sha256" && !slices.Contains(kex, "curve25519-sha256@libssh.org") {
			out = append(out, "curve25519-sha256@libssh.org")
		}
	}
	return out
}

func xcryptoEnable(available ssh.Algorithms) map[audit.Category]Enabling {
	const no = "x/crypto does not implement it"
	return map[audit.Category]Enabling{
		audit.Kex: {Available: available.KeyExchanges, Otherwise: no,
			Option: `ssh.Config{KeyExchanges: append(ssh.SupportedAlgorithms().KeyExchanges, "{name}")}`},
		audit.HostKeyAlg: {Available: available.HostKeys, Otherwise: no,
			Option: `ssh.ClientConfig{HostKeyAlgorithms: append(ssh.SupportedAlgorithms().HostKeys, "{name}")}`},
		audit.Cipher: {Available: available.Ciphers, Otherwise: no,
			Option: `ssh.Config{Ciphers: append(ssh.SupportedAlgorithms().Ciphers, "{name}")}`},
		audit.MAC: {Available: available.MACs, Otherwise: no,
			Option: `ssh.Config{MACs: append(ssh.SupportedAlgorithms().MACs, "{name}")}`},
		audit.Compression: {Otherwise: `x/crypto implements no compression, only "none"`},
	}
}

// xcryptoProfile is this binary's client as the scan package configures it:
// ssh.SupportedAlgorithms() in x/crypto's preference order, set explicitly,
// so that none of the insecure names x/crypto's own defaults still carry
// (ssh-rsa, group14-sha1, hmac-sha1-96) is offered.
func xcryptoProfile() Profile {
	sup := ssh.SupportedAlgorithms()
	return Profile{
		Name:                 "xcrypto",
		Description:          "this binary's client: golang.org/x/crypto/ssh configured with ssh.SupportedAlgorithms()",
		KexAlgos:             append(withLibsshAlias(sup.KeyExchanges), xcryptoMarkers...),
		HostKeyAlgos:         sup.HostKeys,
		Ciphers:              sup.Ciphers,
		MACs:                 sup.MACs,
		Compression:          []string{"none"},
		Enable:               xcryptoEnable(ssh.InsecureAlgorithms()),
		SetHostKeyAlgorithms: `ssh.ClientConfig{HostKeyAlgorithms: []string{{quoted}}}`,
	}
}

// xcryptoLegacyProfile adds ssh.InsecureAlgorithms(), after the supported
// ones so that a modern server still gets a modern choice.
func xcryptoLegacyProfile() Profile {
	sup, ins := ssh.SupportedAlgorithms(), ssh.InsecureAlgorithms()
	return Profile{
		Name:                 "xcrypto-legacy",
		Description:          "this binary's client with ssh.InsecureAlgorithms() appended to each list",
		KexAlgos:             append(withLibsshAlias(slices.Concat(sup.KeyExchanges, ins.KeyExchanges)), xcryptoMarkers...),
		HostKeyAlgos:         slices.Concat(sup.HostKeys, ins.HostKeys),
		Ciphers:              slices.Concat(sup.Ciphers, ins.Ciphers),
		MACs:                 slices.Concat(sup.MACs, ins.MACs),
		Compression:          []string{"none"},
		Enable:               xcryptoEnable(ssh.Algorithms{}),
		SetHostKeyAlgorithms: `ssh.ClientConfig{HostKeyAlgorithms: []string{{quoted}}}`,
	}
}

// xcryptoDefaultProfile is a Go program that leaves ssh.ClientConfig's
// algorithm lists empty: x/crypto then sends its unexported defaults
// (common.go's defaultKexAlgos, defaultCiphers, defaultMACs and
// defaultHostKeyAlgos, v0.58.0), which still carry group14-sha1,
// hmac-sha1-96, ssh-rsa and ssh-dss, and rank ECDSA host keys before RSA
// and Ed25519: against a server with all three it verifies the ECDSA key.
// TestXCryptoDefaultProfileIsWhatXCryptoSends
// checks the lists against a real default client's KEXINIT.
func xcryptoDefaultProfile() Profile {
	p := Profile{
		Name:        "xcrypto-default",
		Description: "a Go program using golang.org/x/crypto/ssh with a default ClientConfig (no algorithm lists set)",
		KexAlgos: append(withLibsshAlias([]string{"mlkem768x25519-sha256", "curve25519-sha256", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
			"ecdh-sha2-nistp521", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1"}), xcryptoMarkers...),
		HostKeyAlgos: []string{
			"rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
			"ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
			"ssh-ed25519-cert-v01@openssh.com",
			"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-256", "rsa-sha2-512", "ssh-rsa", "ssh-dss", "ssh-ed25519",
		},
		Ciphers:              []string{"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"},
		MACs:                 []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512", "hmac-sha1", "hmac-sha1-96"},
		Compression:          []string{"none"},
		SetHostKeyAlgorithms: `ssh.ClientConfig{HostKeyAlgorithms: []string{{quoted}}}`,
	}
	p.Enable = xcryptoEnable(notIn(ssh.InsecureAlgorithms(), p))
	return p
}

// notIn is avail without the names p already offers.
func notIn(avail ssh.Algorithms, p Profile) ssh.Algorithms {
	drop := func(names, have []string) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(have, n) })
	}
	return ssh.Algorithms{KeyExchanges: drop(avail.KeyExchanges, p.KexAlgos), Ciphers: drop(avail.Ciphers, p.Ciphers),
		MACs: drop(avail.MACs, p.MACs), HostKeys: drop(avail.HostKeys, p.HostKeyAlgos)}
}
