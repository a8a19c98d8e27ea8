package audit

import (
	"reflect"
	"testing"

	"github.com/sshpin/sshpin/kexinit"
)

func TestAuditOrderDirectionsAndUnknowns(t *testing.T) {
	k := &kexinit.KexInit{
		KexAlgos:                []string{"zeta-kex@example.com", "curve25519-sha256", "curve25519-sha256", "ext-info-s"},
		ServerHostKeyAlgos:      []string{"ssh-ed25519"},
		CiphersClientServer:     []string{"aes256-ctr", "aes128-cbc"},
		CiphersServerClient:     []string{"aes128-cbc", "aes192-ctr"},
		MACsClientServer:        []string{"hmac-sha2-256-etm@openssh.com"},
		MACsServerClient:        []string{"hmac-sha2-256-etm@openssh.com"},
		CompressionClientServer: []string{"none"},
		CompressionServerClient: []string{"none"},
	}
	r := Audit(k, nil, Options{})
	type line struct {
		sev      Severity
		cat      Category
		alg, dir string
	}
	var got []line
	for _, f := range r.Findings {
		got = append(got, line{f.Severity, f.Category, f.Algorithm, f.Direction})
	}
	want := []line{
		{Unknown, Kex, "zeta-kex@example.com", ""},
		{OK, Kex, "curve25519-sha256", ""},
		{Info, Kex, "ext-info-s", ""},
		{OK, HostKeyAlg, "ssh-ed25519", ""},
		{OK, Cipher, "aes256-ctr", ClientToServer},
		{Warn, Cipher, "aes128-cbc", Both},
		{OK, Cipher, "aes192-ctr", ServerToClient},
		{OK, MAC, "hmac-sha2-256-etm@openssh.com", Both},
		{OK, Compression, "none", Both},
		{Fail, Terrapin, "CVE-2023-48795", Both}, // aes128-cbc with the EtM MAC, both ways
		{Warn, PostQuantum, "", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
	if r.Findings[0].Reason != "unknown algorithm" {
		t.Errorf("unknown name reason %q", r.Findings[0].Reason)
	}
	if r.Worst() != Fail {
		t.Errorf("Worst() = %s", r.Worst())
	}
}

func TestAuditNilAndEmpty(t *testing.T) {
	for _, k := range []*kexinit.KexInit{nil, {}} {
		r := Audit(k, nil, Options{})
		if r.Findings == nil || r.PostQuantumKex == nil {
			t.Fatal("nil slices would render as null")
		}
		if len(r.Fixes) != 0 || r.Terrapin.Exposed {
			t.Errorf("empty KEXINIT: %+v", r)
		}
	}
}

func TestAuditOptions(t *testing.T) {
	k := &kexinit.KexInit{KexAlgos: []string{"ecdh-sha2-nistp256", "mlkem768nistp256-sha256"}, ServerHostKeyAlgos: []string{"ecdsa-sha2-nistp256"}}
	plain := Audit(k, nil, Options{})
	strict := Audit(k, []HostKey{{Type: "ecdsa-sha2-nistp256", Bits: 256}}, Options{NISTCurvesFail: true, RequirePostQuantum: true})
	if plain.Findings[0].Severity != Warn || plain.Findings[1].Severity != Warn || plain.Findings[2].Severity != Warn {
		t.Errorf("default options: %+v", plain.Findings)
	}
	for _, f := range strict.Findings {
		if f.Category != PostQuantum && f.Category != Terrapin && f.Severity != Fail {
			t.Errorf("NISTCurvesFail: %+v not fail", f)
		}
	}
	if !reflect.DeepEqual(plain.PostQuantumKex, []string{"mlkem768nistp256-sha256"}) {
		t.Errorf("PostQuantumKex = %v", plain.PostQuantumKex)
	}
	noPQ := Audit(&kexinit.KexInit{KexAlgos: []string{"curve25519-sha256", "sntrup4591761x25519-sha512@tinyssh.org"}}, nil, Options{RequirePostQuantum: true})
	last := noPQ.Findings[len(noPQ.Findings)-1]
	if last.Category != PostQuantum || last.Severity != Fail || len(noPQ.PostQuantumKex) != 0 {
		t.Errorf("withdrawn PQ kex counted as ready: %+v %v", last, noPQ.PostQuantumKex)
	}
}
