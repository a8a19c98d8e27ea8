package negotiate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sshpin/sshpin/audit"
	"github.com/sshpin/sshpin/kexinit"
)

// clientFix names the first algorithm in the server's order that the client
// can be told to offer: the server's preference is the better guess of what
// it does best.
func clientFix(p Profile, cat audit.Category, server []string) (string, bool) {
	e := p.Enable[cat]
	for _, s := range server {
		if slices.Contains(e.Available, s) && e.Option != "" {
			return e.Add(s), true
		}
	}
	what := strings.Join(server, ", ")
	if len(server) == 0 {
		what = "nothing: the server's list is empty"
	}
	msg := fmt.Sprintf("no option of %s enables any of %s", p.Name, what)
	if e.Otherwise != "" {
		msg += " (" + e.Otherwise + ")"
	}
	return msg, false
}

// portable are names old servers implement (OpenSSH 6.5-7.4 and later,
// dropbear 2016+), in the order a server fix suggests them. chacha20-poly1305
// is left out: on a server without strict kex it opens Terrapin.
var portable = map[audit.Category][]string{
	audit.Kex:    {"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "diffie-hellman-group16-sha512", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256"},
	audit.Cipher: {"aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr"},
	audit.MAC:    {"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"},
}

var keywords = map[audit.Category]string{
	audit.Kex:    "KexAlgorithms",
	audit.Cipher: "Ciphers",
	audit.MAC:    "MACs",
}

// serverFix is an sshd_config line adding an algorithm the client offers:
// the client's most preferred portable one that is not rated fail, else its
// first that is not rated fail.
func serverFix(cat audit.Category, client []string, server *kexinit.KexInit) string {
	client = audit.WithoutMarkers(client)
	switch cat {
	case audit.HostKeyAlg:
		return hostKeyServerFix(client, server.ServerHostKeyAlgos)
	case audit.Compression:
		if slices.Contains(client, "none") {
			return `offer "none" compression, which RFC 4253 §6.2 requires of every server`
		}
		if slices.Contains(client, "zlib@openssh.com") {
			return "Compression yes"
		}
		return "the client offers no compression the server can be configured to offer"
	}
	pick := ""
	for _, c := range client {
		if slices.Contains(portable[cat], c) && audit.Lookup(cat, c).Rating != audit.Fail {
			pick = c
			break
		}
	}
	if pick == "" {
		for _, c := range client {
			if audit.Lookup(cat, c).Rating != audit.Fail {
				pick = c
				break
			}
		}
	}
	if pick == "" && len(client) > 0 {
		pick = client[0]
	}
	if pick == "" {
		return "the client offers nothing to add"
	}
	return keywords[cat] + " +" + pick
}

// hostKeyServerFix prefers a signature algorithm for a key the server
// already has (rsa-sha2-512 for an ssh-rsa key); otherwise the server needs
// a new key of a type the client accepts.
func hostKeyServerFix(client, server []string) string {
	have := map[string]bool{}
	for _, s := range server {
		have[audit.KeyType(s)] = true
	}
	for _, c := range client {
		if have[audit.KeyType(c)] && audit.Lookup(audit.HostKeyAlg, c).Rating != audit.Fail {
			return "HostKeyAlgorithms +" + c
		}
	}
	for _, k := range []struct{ alg, keygen string }{
		{"ssh-ed25519", "ed25519"},
		{"rsa-sha2-512", "rsa -b 3072"},
		{"rsa-sha2-256", "rsa -b 3072"},
		{"ecdsa-sha2-nistp256", "ecdsa"},
	} {
		if slices.Contains(client, k.alg) {
			t := strings.Fields(k.keygen)[0]
			return fmt.Sprintf("HostKey /etc/ssh/ssh_host_%s_key (create it with ssh-keygen -t %s -f /etc/ssh/ssh_host_%s_key)", t, k.keygen, t)
		}
	}
	if len(client) > 0 {
		return "give the server a host key the client accepts: " + strings.Join(client, ", ")
	}
	return "the client accepts no host key algorithm"
}
