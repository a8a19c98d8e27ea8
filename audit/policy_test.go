package audit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"kex_algorithms curve25519-sha256", "line 1: want \"key = value\""},
		{"frobnicate = yes", "line 1: frobnicate: unknown key"},
		{"\n# c\nmin_rsa_bits = big", "line 3: min_rsa_bits: want a number of bits"},
		{"allow_subset = maybe", "allow_subset: want true or false"},
		{"max_rating = terrible", "unknown severity"},
		{"ciphers = a\nciphers = b", "line 2: \"ciphers\" already set on line 1"},
		{"key exchanges = a\nkex_algorithms = b", "already set"},
		{"client policy = true", "client policies are not supported"},
		{"hostkey_size_ = 3072", "no algorithm named"},
		{"dh_modulus_size_diffie-hellman-group-exchange-sha256 = x", "want a number of bits"},
	}
	for _, tt := range tests {
		_, err := ParsePolicy(strings.NewReader(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "audit: ") {
			t.Errorf("ParsePolicy(%q) error %v, want one containing %q", tt.text, err, tt.want)
		}
	}
}

func TestParsePolicyFormats(t *testing.T) {
	ours := `
# a comment
name = lab
kex_algorithms = curve25519-sha256,curve25519-sha256@libssh.org  # trailing comment
ciphers = aes256-gcm@openssh.com aes128-ctr
required = mlkem*
forbidden = *-cbc, hmac-sha1*
min_rsa_bits = 3072
allow_subset = yes
require_strict_kex = true
max_rating = warn
nist_curves_fail = true
`
	p, err := ParsePolicy(strings.NewReader(ours))
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Name:             "lab",
		KexAlgorithms:    []string{"curve25519-sha256", "curve25519-sha256@libssh.org"},
		Ciphers:          []string{"aes256-gcm@openssh.com", "aes128-ctr"},
		Required:         []string{"mlkem*"},
		Forbidden:        []string{"*-cbc", "hmac-sha1*"},
		MinRSABits:       3072,
		AllowSubset:      true,
		RequireStrictKex: true,
		MaxRating:        Warn,
		Options:          Options{NISTCurvesFail: true},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}

	// An ssh-audit policy file, as its docs and test suite write them.
	sshAudit := `#
# Docker policy: test7
#
name = "Docker policy: test7"
version = 1
# banner = "SSH-2.0-OpenSSH_5.6"
banner = "SSH-2.0-OpenSSH_8.0"
# compressions = none, zlib@openssh.com
hostkey_size_rsa-sha2-256 = 3072
hostkey_size_ssh-rsa-cert-v01@openssh.com = 3072
cakey_size_ssh-rsa-cert-v01@openssh.com = 1024
dh_modulus_size_diffie-hellman-group-exchange-sha256 = 8192
host keys = rsa-sha2-512, rsa-sha2-256, ssh-ed25519
optional host keys = ssh-ed25519-cert-v01@openssh.com
key exchanges = curve25519-sha256, curve25519-sha256@libssh.org, kex-strict-s-v00@openssh.com
ciphers = chacha20-poly1305@openssh.com, aes128-ctr
macs = hmac-sha2-256-etm@openssh.com, umac-128-etm@openssh.com
allow_larger_keys = true
`
	p, err = ParsePolicy(strings.NewReader(sshAudit))
	if err != nil {
		t.Fatal(err)
	}
	banner := "SSH-2.0-OpenSSH_8.0"
	want = &Policy{
		Name:                      "Docker policy: test7",
		Version:                   "1",
		Banner:                    &banner,
		HostKeySizes:              map[string]KeySize{"rsa-sha2-256": {Size: 3072}, "ssh-rsa-cert-v01@openssh.com": {Size: 3072, CAType: "ssh-rsa", CASize: 1024}},
		DHModulusSizes:            map[string]int{"diffie-hellman-group-exchange-sha256": 8192},
		HostKeyAlgorithms:         []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"},
		OptionalHostKeyAlgorithms: []string{"ssh-ed25519-cert-v01@openssh.com"},
		KexAlgorithms:             []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "kex-strict-s-v00@openssh.com"},
		KexWithMarkers:            true,
		Ciphers:                   []string{"chacha20-poly1305@openssh.com", "aes128-ctr"},
		MACs:                      []string{"hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"},
		AllowLargerKeys:           true,
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
}

func TestBuiltinPolicies(t *testing.T) {
	if got := BuiltinPolicies(); !reflect.DeepEqual(got, []string{"compatible", "strict"}) {
		t.Errorf("BuiltinPolicies() = %v", got)
	}
	for _, n := range BuiltinPolicies() {
		if p, err := BuiltinPolicy(n); err != nil || p.Name != n {
			t.Errorf("BuiltinPolicy(%q) = %+v, %v", n, p, err)
		}
	}
	if _, err := BuiltinPolicy("lax"); err == nil {
		t.Error("unknown built-in accepted")
	}
}

func TestPolicyCheck(t *testing.T) {
	server := func() *kexinit.KexInit {
		return &kexinit.KexInit{
			KexAlgos:                []string{"curve25519-sha256", "ecdh-sha2-nistp256", StrictKexServer},
			ServerHostKeyAlgos:      []string{"rsa-sha2-512", "ssh-ed25519"},
			CiphersClientServer:     []string{"aes128-ctr", "aes256-ctr"},
			CiphersServerClient:     []string{"aes128-ctr", "aes256-ctr"},
			MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com"},
			MACsServerClient:        []string{"hmac-sha2-256"},
			CompressionClientServer: []string{"none"},
			CompressionServerClient: []string{"none"},
		}
	}
	keys := []HostKey{{Type: "ssh-rsa", Bits: 2048}, {Type: "ssh-ed25519", Bits: 256}}
	type f struct {
		sev              Severity
		alg, dir, reason string
	}
	tests := []struct {
		name   string
		policy string
		keys   []HostKey
		want   []f
	}{
		{"empty policy passes", "", keys, nil},
		{"exact list matches", "kex_algorithms = curve25519-sha256, ecdh-sha2-nistp256", keys, nil},
		{"missing, extra and order", "kex_algorithms = ecdh-sha2-nistp256, mlkem768x25519-sha256", keys, []f{
			{Fail, "curve25519-sha256", "", "kex: offered but not allowed by policy"},
			{Fail, "mlkem768x25519-sha256", "", "kex: required by policy but not offered"},
		}},
		{"reorder is a failure by default", "ciphers = aes256-ctr, aes128-ctr", keys, []f{
			{Fail, "", Both, "cipher: order aes128-ctr,aes256-ctr differs from the policy's aes256-ctr,aes128-ctr"},
		}},
		{"subset and reorder allowed", "ciphers = aes256-ctr, aes128-ctr, aes256-gcm@openssh.com\nallow_subset = true\nallow_reorder = true", keys, nil},
		{"directions checked apart when they differ", "macs = hmac-sha2-256-etm@openssh.com", keys, []f{
			{Fail, "hmac-sha2-256", ServerToClient, "mac: offered but not allowed by policy"},
			{Fail, "hmac-sha2-256-etm@openssh.com", ServerToClient, "mac: required by policy but not offered"},
		}},
		{"optional host keys", "host_key_algorithms = ssh-ed25519\noptional_host_key_algorithms = rsa-sha2-512", keys, nil},
		{"required and forbidden patterns", "required = mlkem*, curve25519-*\nforbidden = ecdh-sha2-*, [", keys, []f{
			{Fail, "mlkem*", "", "required by policy but not offered"},
			{Fail, "ecdh-sha2-nistp256", "", "kex: forbidden by policy (ecdh-sha2-*)"},
		}},
		{"max rating with NIST option", "max_rating = ok\nnist_curves_fail = true", keys, []f{
			{Fail, "ecdh-sha2-nistp256", "", "kex: rated fail (NIST P-256 curve (NIST curves rated fail)), policy allows at most ok"},
			{Fail, "hmac-sha2-256", "", "mac: rated warn (encrypt-and-MAC; prefer -etm), policy allows at most ok"},
		}},
		{"post-quantum required", "require_post_quantum = true\nrequire_strict_kex = true", keys, []f{
			{Fail, "", "", "kex: policy requires a post-quantum key exchange"},
		}},
		{"key types and sizes", "host_key_types = ssh-ed25519, ecdsa-sha2-nistp256\nmin_rsa_bits = 3072\nhostkey_size_rsa-sha2-512 = 4096", keys, []f{
			{Fail, "ssh-rsa", "", "key: RSA key of 2048 bits, policy requires 3072"},
			{Fail, "rsa-sha2-512", "", "key: key of 2048 bits, policy requires 4096"},
			{Fail, "ssh-rsa", "", "key: host key type not allowed by policy"},
			{Fail, "ecdsa-sha2-nistp256", "", "key: policy requires a host key of this type"},
		}},
		{"larger keys allowed", "hostkey_size_rsa-sha2-256 = 1024\nallow_larger_keys = true", keys, nil},
		{"exact size as ssh-audit", "hostkey_size_rsa-sha2-256 = 1024", keys, []f{
			{Fail, "rsa-sha2-256", "", "key: key of 2048 bits, policy requires 1024"},
		}},
		{"CA key size", "host_key_sizes = {\"ssh-ed25519-cert-v01@openssh.com\": {\"hostkey_size\": 256, \"ca_key_type\": \"ssh-rsa\", \"ca_key_size\": 4096}}\nallow_larger_keys = true",
			[]HostKey{{Type: "ssh-ed25519-cert-v01@openssh.com", Bits: 256, Cert: &CertInfo{CAType: "ssh-rsa", CABits: 2048}}}, []f{
				{Fail, "ssh-ed25519-cert-v01@openssh.com", "", "key: certificate CA: key of 2048 bits, policy requires at least 4096"},
			}},
		{"CA key type", "host_key_sizes = {\"ssh-ed25519-cert-v01@openssh.com\": {\"hostkey_size\": 256, \"ca_key_type\": \"ssh-ed25519\", \"ca_key_size\": 256}}",
			[]HostKey{{Type: "ssh-ed25519-cert-v01@openssh.com", Bits: 256, Cert: &CertInfo{CAType: "ssh-rsa", CABits: 2048}}}, []f{
				{Fail, "ssh-ed25519-cert-v01@openssh.com", "", "key: certificate CA is ssh-rsa, policy requires ssh-ed25519"},
			}},
		{"ECDSA in ssh-audit's convention", "host_key_sizes = {\"ecdsa-sha2-nistp256\": {\"hostkey_size\": 512}, \"ecdsa-sha2-nistp384\": {\"hostkey_size\": 1056}}",
			[]HostKey{{Type: "ecdsa-sha2-nistp256", Bits: 256}, {Type: "ecdsa-sha2-nistp384", Bits: 384}}, []f{
				{Fail, "ecdsa-sha2-nistp384", "", "key: ECDSA key over P-384 (768 in ssh-audit's convention), policy requires P-521 (1056)"},
			}},
		{"offered key not collected is not checked", "host_key_sizes = {\"ssh-ed25519\": {\"hostkey_size\": 256}, \"ssh-dss\": {\"hostkey_size\": 160}}",
			[]HostKey{{Type: "ssh-rsa", Bits: 2048}}, []f{
				{Unknown, "ssh-ed25519", "", "key: not checked: the server offers it but its key was not collected"},
			}},
		{"keys not collected", "min_rsa_bits = 3072", nil, []f{
			{Unknown, "", "", "key: not checked: host keys were not collected (only the KEXINIT was read)"},
		}},
		{"banner", "banner = \"SSH-2.0-x\"", keys, []f{
			{Fail, "", "", `banner: banner "" differs from the policy's "SSH-2.0-x"`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy(strings.NewReader(tt.policy))
			if err != nil {
				t.Fatal(err)
			}
			var got []f
			for _, x := range p.Check(server(), tt.keys) {
				if x.Category != PolicyCheck {
					t.Errorf("category %q", x.Category)
				}
				got = append(got, f{x.Severity, x.Algorithm, x.Direction, x.Reason})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	p, _ := ParsePolicy(strings.NewReader("require_strict_kex = true"))
	got := p.Check(nil, nil)
	if len(got) != 1 || got[0].Algorithm != StrictKexServer {
		t.Errorf("Check(nil) = %+v", got)
	}
}
