package audit

import (
	"slices"
	"strings"

	"github.com/sshpin/sshpin/kexinit"
)

// Fix is one sshd_config change that removes what failed from one list.
// The syntax is OpenSSH's: a KEXINIT does not say which software sent it, so
// a caller that knows from the banner that the server is dropbear or another
// implementation should present these as what to remove, not as lines.
//
// It comes in two forms because neither fits every server. Line uses the
// "-name" removal syntax (OpenSSH 7.5 and later): it removes the names from
// sshd's compiled-in default set, which is right for the common server that
// runs its defaults, and it keeps working across upgrades. But it restores
// the defaults on a server whose config sets an explicit list, and older
// servers reject it. Explicit is the server's own offered list minus the
// failing names, in the server's order: it reproduces exactly what the server
// offers today, minus the bad names, on any OpenSSH version.
type Fix struct {
	Keyword  string   `json:"keyword"`
	Remove   []string `json:"remove"`
	Line     string   `json:"line"`
	Explicit string   `json:"explicit"`
	Note     string   `json:"note,omitempty"`
}

// Replacements for a list that would hold no name rated ok once the
// failing names are gone. They are names old servers know (OpenSSH 6.5-7.4
// and later), because sshd refuses to start on a name it does not
// implement, and every one is rated ok.
var replacements = map[Category][]string{
	Kex:    {"curve25519-sha256", "curve25519-sha256@libssh.org", "diffie-hellman-group-exchange-sha256"},
	Cipher: {"aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes128-ctr"},
	MAC:    {"hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com"},
}

const replacementNote = "none of the offered names would remain, so the explicit list names replacements; check that `sshd -Q %s` lists them first: sshd refuses to start on a name it does not implement"

func fixes(k *kexinit.KexInit, t TerrapinResult, opts Options) []Fix {
	// Terrapin is fixed by removing chacha20-poly1305 and the CBC ciphers of
	// a CBC+EtM pair: the EtM MACs are the ones worth keeping.
	terrapin := map[string]bool{}
	if t.Exposed {
		for _, v := range t.Vectors {
			for _, c := range v.Ciphers {
				terrapin[c] = true
			}
		}
	}
	ciphers := union(k.CiphersClientServer, k.CiphersServerClient)
	macFix, _ := fixList("MACs", MAC, union(k.MACsClientServer, k.MACsServerClient), nil, opts)
	// The replacement MACs are EtM; beside CBC ciphers on a server without
	// strict kex they would open Terrapin's CBC-EtM variant, so the CBC
	// ciphers go too.
	if macFix != nil && macFix.Note != "" && !t.StrictKex {
		for _, c := range ciphers {
			if IsCBC(c) {
				terrapin[c] = true
			}
		}
	}
	cipherFix, _ := fixList("Ciphers", Cipher, ciphers, terrapin, opts)
	kexFix, _ := fixList("KexAlgorithms", Kex, WithoutMarkers(dedup(k.KexAlgos)), nil, opts)
	hkFix, keptHostKeys := fixList("HostKeyAlgorithms", HostKeyAlg, dedup(k.ServerHostKeyAlgos), nil, opts)

	if hkFix != nil && len(keptHostKeys) == 0 {
		hostKeyReplacement(hkFix)
	}

	var out []Fix
	for _, f := range []*Fix{kexFix, hkFix, cipherFix, macFix} {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// fixList returns nil when nothing in offered needs removing.
func fixList(keyword string, cat Category, offered []string, also map[string]bool, opts Options) (*Fix, []string) {
	var remove, kept []string
	for _, n := range offered {
		if Rate(cat, n, opts).Rating == Fail || also[n] {
			remove = append(remove, n)
		} else {
			kept = append(kept, n)
		}
	}
	if len(remove) == 0 {
		return nil, kept
	}
	return newFix(keyword, cat, remove, kept, opts)
}

// newFix builds the fix once the names to remove are known; it returns the
// names rated ok that remain.
func newFix(keyword string, cat Category, remove, kept []string, opts Options) (*Fix, []string) {
	fx := &Fix{Keyword: keyword, Remove: remove, Line: keyword + " -" + strings.Join(remove, ",")}
	// The explicit list names only what is rated ok: a fix never
	// suggests a name that is itself a warning.
	var good []string
	for _, n := range kept {
		if Rate(cat, n, opts).Rating == OK {
			good = append(good, n)
		}
	}
	if len(good) > 0 {
		fx.Explicit = keyword + " " + strings.Join(good, ",")
	} else if r, ok := replacements[cat]; ok {
		fx.Explicit = keyword + " " + strings.Join(r, ",")
		fx.Note = strings.Replace(replacementNote, "%s", queryName(cat), 1)
	}
	return fx, good
}

// hostKeyReplacement handles a server left with no acceptable host key
// algorithm: an RSA key can sign with SHA-2 (OpenSSH 7.2 and later); any
// other key has to be replaced.
func hostKeyReplacement(f *Fix) {
	var rsa []string
	for _, n := range f.Remove {
		switch KeyType(n) {
		case "ssh-rsa":
			rsa = append(rsa, "rsa-sha2-512", "rsa-sha2-256")
		case "ssh-rsa-cert-v01@openssh.com":
			rsa = append(rsa, "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com")
		}
	}
	if len(rsa) > 0 {
		f.Explicit = f.Keyword + " " + strings.Join(dedup(rsa), ",")
		f.Note = "the RSA host key can sign with SHA-2 (OpenSSH 7.2 and later)"
		return
	}
	f.Explicit = f.Keyword + " ssh-ed25519"
	f.Note = "no host key is acceptable: generate one (ssh-keygen -t ed25519 -f /etc/ssh/ssh_host_ed25519_key) and name it in a HostKey line"
}

func queryName(cat Category) string {
	switch cat {
	case Kex:
		return "kex"
	case MAC:
		return "mac"
	}
	return string(cat)
}

// union is the names of both directions, client-to-server order first:
// sshd_config has one Ciphers and one MACs option for both.
func union(c2s, s2c []string) []string {
	return dedup(append(slices.Clone(c2s), s2c...))
}
