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
