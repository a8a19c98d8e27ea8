package audit

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Software is the server implementation a banner names, which decides the
// language a fix is written in.
type Software string

// The implementations whose settings the advice knows.
const (
	UnknownSoftware Software = ""
	OpenSSH         Software = "openssh"
	Dropbear        Software = "dropbear"
	Paramiko        Software = "paramiko"
	AsyncSSH        Software = "asyncssh"
	TinySSH         Software = "tinyssh"
	GoXCrypto       Software = "go-x-crypto"
)

// SoftwareOf reads the implementation and its version from a version line.
func SoftwareOf(banner string) (Software, string) {
	sw := strings.TrimPrefix(strings.TrimPrefix(banner, "SSH-2.0-"), "SSH-1.99-")
	sw, _, _ = strings.Cut(sw, " ")
	name, ver, _ := strings.Cut(sw, "_")
	switch strings.ToLower(name) {
	case "openssh":
		return OpenSSH, ver
	case "dropbear":
		return Dropbear, ver
	case "paramiko":
		return Paramiko, ver
	case "asyncssh":
		return AsyncSSH, ver
	case "tinyssh":
		return TinySSH, ver
	case "go", "sshpin":
		// x/crypto servers send "SSH-2.0-Go" unless configured; sshpin's
		// demo server is one.
		return GoXCrypto, ""
	}
	return UnknownSoftware, ""
}

// Advice is one change, in the server's own terms, that removes what
// failed or adds what is missing.
type Advice struct {
	Software Software `json:"software,omitempty"`
	Kind     string   `json:"kind"` // "remove", "add" or "upgrade"
	Text     string   `json:"text"`
}

// openSSHAtLeast compares an OpenSSH version such as "9.2p1".
func openSSHAtLeast(ver string, major, minor int) bool {
	v, _, _ := strings.Cut(ver, "p")
	ma, mi, _ := strings.Cut(v, ".")
	a, err1 := strconv.Atoi(ma)
	b, err2 := strconv.Atoi(mi)
	if err1 != nil || err2 != nil {
		return false
	}
	return a > major || a == major && b >= minor
}

// dropbearDefines are the localoptions.h switches (dropbear's
// default_options.h) that compile a name out: dropbear has no runtime
// setting for its algorithms.
var dropbearDefines = map[string]string{
	"diffie-hellman-group1-sha1":    "DROPBEAR_DH_GROUP1",
	"diffie-hellman-group14-sha1":   "DROPBEAR_DH_GROUP14_SHA1",
	"ssh-rsa":                       "DROPBEAR_RSA_SHA1",
	"ssh-dss":                       "DROPBEAR_DSS",
	"3des-cbc":                      "DROPBEAR_3DES",
	"3des-ctr":                      "DROPBEAR_3DES",
	"aes128-cbc":                    "DROPBEAR_ENABLE_CBC_MODE",
	"aes256-cbc":                    "DROPBEAR_ENABLE_CBC_MODE",
	"hmac-sha1":                     "DROPBEAR_SHA1_HMAC",
	"hmac-sha1-96":                  "DROPBEAR_SHA1_96_HMAC",
	"hmac-md5":                      "DROPBEAR_MD5_HMAC",
	"chacha20-poly1305@openssh.com": "DROPBEAR_CHACHA20POLY1305",
	"ecdh-sha2-nistp256":            "DROPBEAR_ECDH",
	"ecdh-sha2-nistp384":            "DROPBEAR_ECDH",
	"ecdh-sha2-nistp521":            "DROPBEAR_ECDH",
}

// advise writes the fix for software other than OpenSSH (whose
// sshd_config lines are Fixes), and the "add" advice for every server.
// Never a name rated below ok is suggested.
func advise(s *Server, k *kexinit.KexInit, r *Report, opts Options) []Advice {
	sw, ver := SoftwareOf(s.Banner)
	remove := map[Category][]string{}
	for _, f := range r.Fixes {
		remove[categoryOfKeyword(f.Keyword)] = f.Remove
	}
	var out []Advice
	add := func(kind, text string) { out = append(out, Advice{Software: sw, Kind: kind, Text: text}) }
	removed := func() []string {
		var all []string
		for _, c := range []Category{Kex, HostKeyAlg, Cipher, MAC} {
			all = append(all, remove[c]...)
		}
		return all
	}
	ok := func(cat Category, names []string) []string {
		var out []string
		for _, n := range names {
			if !IsMarker(n) && Rate(cat, n, opts).Rating == OK {
				out = append(out, n)
			}
		}
		return out
	}
	list := func(names []string) string {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = strconv.Quote(n)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	switch sw {
	case OpenSSH:
		// The removals are Fixes (sshd_config lines); only the release
		// that brings strict kex is advice.
		if r.Terrapin.Exposed && !openSSHAtLeast(ver, 9, 6) {
			add("upgrade", "upgrade to OpenSSH 9.6 or later, which implements strict key exchange (Terrapin); until then the Ciphers line above removes the exposed ciphers")
		}
	case Dropbear:
		var defs []string
		for _, n := range removed() {
			if d := dropbearDefines[n]; d != "" && !slices.Contains(defs, d) {
				defs = append(defs, d)
			}
		}
		for _, d := range defs {
			add("remove", "#define "+d+" 0   (in localoptions.h, then rebuild: dropbear has no runtime algorithm settings)")
		}
		if len(removed()) > len(defs) && len(defs) == 0 {
			add("upgrade", "upgrade dropbear: this build offers "+strings.Join(removed(), ", ")+", which no localoptions.h switch removes")
		}
		if r.Terrapin.Exposed {
			add("upgrade", "upgrade to dropbear 2024.84 or later, which implements strict key exchange (Terrapin)")
		}
	case Paramiko:
		parts := []string{}
		for _, c := range []struct {
			cat Category
			key string
		}{{Kex, "kex"}, {HostKeyAlg, "keys"}, {Cipher, "ciphers"}, {MAC, "macs"}} {
			if names := remove[c.cat]; len(names) > 0 {
				parts = append(parts, strconv.Quote(c.key)+": "+list(names))
			}
		}
		if len(parts) > 0 {
			add("remove", "Transport(sock, disabled_algorithms={"+strings.Join(parts, ", ")+"})   (paramiko 2.6 and later)")
		}
		if r.Terrapin.Exposed {
			add("upgrade", "upgrade paramiko to 3.4.0 or later, which implements strict key exchange (Terrapin)")
		}
	case AsyncSSH:
		for _, c := range []struct {
			cat       Category
			key       string
			c2s, s2c  []string
			hostKeyed bool
		}{{Kex, "kex_algs", k.KexAlgos, nil, false}, {HostKeyAlg, "signature_algs", k.ServerHostKeyAlgos, nil, true},
			{Cipher, "encryption_algs", k.CiphersClientServer, k.CiphersServerClient, false}, {MAC, "mac_algs", k.MACsClientServer, k.MACsServerClient, false}} {
			if len(remove[c.cat]) == 0 {
				continue
			}
			keep := ok(c.cat, union(c.c2s, c.s2c))
			if len(keep) == 0 {
				keep = replacements[c.cat]
			}
			add("remove", "asyncssh.create_server(..., "+c.key+"="+list(keep)+")")
		}
		if r.Terrapin.Exposed {
			add("upgrade", "upgrade AsyncSSH to 2.14.2 or later, which implements strict key exchange (Terrapin)")
		}
	case GoXCrypto:
		for _, c := range []struct {
			cat      Category
			field    string
			c2s, s2c []string
		}{{Kex, "KeyExchanges", k.KexAlgos, nil}, {Cipher, "Ciphers", k.CiphersClientServer, k.CiphersServerClient}, {MAC, "MACs", k.MACsClientServer, k.MACsServerClient}} {
			if len(remove[c.cat]) == 0 {
				continue
			}
			keep := ok(c.cat, union(c.c2s, c.s2c))
			if len(keep) == 0 {
				keep = replacements[c.cat]
			}
			add("remove", "ssh.ServerConfig{Config: ssh.Config{"+c.field+": []string{"+strings.Trim(list(keep), "[]")+"}}}")
		}
		if names := remove[HostKeyAlg]; len(names) > 0 {
			keep := ok(HostKeyAlg, k.ServerHostKeyAlgos)
			add("remove", "wrap the host key with ssh.NewSignerWithAlgorithms(signer, []string{"+strings.Trim(list(keep), "[]")+"}) to stop offering "+strings.Join(names, ", "))
		}
		if r.Terrapin.Exposed {
			add("upgrade", "upgrade golang.org/x/crypto to v0.17.0 or later, which implements strict key exchange (Terrapin)")
		}
	case TinySSH:
		if len(removed()) > 0 || r.Terrapin.Exposed {
			add("upgrade", "tinysshd has no algorithm settings: upgrade it to a release that no longer offers "+strings.Join(append(removed(), terrapinNames(r)...), ", "))
		}
	case UnknownSoftware:
		if s.Banner != "" && len(removed()) > 0 {
			add("remove", "stop offering "+strings.Join(removed(), ", ")+" (the banner does not say which software this is, so no setting is named)")
		}
	}
	out = append(out, addAdvice(sw, ver, s, k, r)...)
	return out
}

func terrapinNames(r *Report) []string {
	var out []string
	if r.Terrapin.Exposed {
		for _, v := range r.Terrapin.Vectors {
			out = append(out, v.Ciphers...)
		}
	}
	return dedup(out)
}

func categoryOfKeyword(kw string) Category {
	switch kw {
	case "KexAlgorithms":
		return Kex
	case "HostKeyAlgorithms":
		return HostKeyAlg
	case "Ciphers":
		return Cipher
	case "MACs":
		return MAC
	}
	return ""
}

// addAdvice says what a server lacks and its software can do: a
// post-quantum hybrid key exchange and an Ed25519 host key.
func addAdvice(sw Software, ver string, s *Server, k *kexinit.KexInit, r *Report) []Advice {
	var out []Advice
	add := func(kind, text string) { out = append(out, Advice{Software: sw, Kind: kind, Text: text}) }
	if len(r.PostQuantumKex) == 0 {
		switch sw {
		case OpenSSH:
			switch {
			case openSSHAtLeast(ver, 9, 9):
				add("add", "KexAlgorithms +mlkem768x25519-sha256   (post-quantum hybrid; OpenSSH 9.9 and later)")
			case openSSHAtLeast(ver, 8, 5):
				add("add", "KexAlgorithms +sntrup761x25519-sha512@openssh.com   (post-quantum hybrid; OpenSSH 8.5 and later)")
			default:
				add("upgrade", "upgrade to OpenSSH 9.9 or later for the post-quantum hybrid mlkem768x25519-sha256")
			}
		case Dropbear:
			add("upgrade", "upgrade to dropbear 2025.87 or later for the post-quantum hybrids sntrup761x25519-sha512 and mlkem768x25519-sha256")
		case GoXCrypto:
			add("add", "put mlkem768x25519-sha256 in ssh.Config.KeyExchanges (an x/crypto recent enough to list it in ssh.SupportedAlgorithms)")
		case TinySSH:
			add("upgrade", "upgrade tinysshd to a release that offers sntrup761x25519-sha512")
		}
	}
	hasEd25519 := slices.Contains(k.ServerHostKeyAlgos, "ssh-ed25519")
	if !hasEd25519 && len(k.ServerHostKeyAlgos) > 0 {
		switch sw {
		case OpenSSH:
			if openSSHAtLeast(ver, 6, 5) {
				add("add", "ssh-keygen -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key, then HostKey /etc/ssh/ssh_host_ed25519_key in sshd_config")
			} else {
				add("upgrade", "upgrade to OpenSSH 6.5 or later for an Ed25519 host key")
			}
		case Dropbear:
			add("add", "dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key (dropbear 2020.79 and later), and -r it")
		case Paramiko:
			add("add", "an Ed25519 host key: ssh-keygen -t ed25519 -N '' -f host_ed25519, then transport.add_server_key(paramiko.Ed25519Key(filename=\"host_ed25519\"))")
		case AsyncSSH:
			add("add", "an Ed25519 host key: asyncssh.generate_private_key(\"ssh-ed25519\"), passed in server_host_keys")
		case GoXCrypto:
			add("add", "an Ed25519 host key: ssh.NewSignerFromKey(ed25519 key), given to ServerConfig.AddHostKey")
		}
	}
	return out
}
