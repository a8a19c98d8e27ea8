package audit

import "testing"

func TestRateKey(t *testing.T) {
	tests := []struct {
		typ  string
		bits int
		opts Options
		want Severity
	}{
		{"ssh-rsa", 1024, Options{}, Fail},
		{"ssh-rsa", 2047, Options{}, Fail},
		{"ssh-rsa", 2048, Options{}, Warn},
		{"ssh-rsa", 3071, Options{}, Warn},
		{"ssh-rsa", 3072, Options{}, OK},
		{"ssh-rsa", 4096, Options{}, OK},
		{"ssh-rsa", 0, Options{}, Unknown},
		{"ssh-rsa-cert-v01@openssh.com", 2048, Options{}, Warn},
		{"ssh-dss", 1024, Options{}, Fail},
		{"ssh-dss-cert-v01@openssh.com", 1024, Options{}, Fail},
		{"ecdsa-sha2-nistp256", 256, Options{}, Warn},
		{"ecdsa-sha2-nistp521", 521, Options{NISTCurvesFail: true}, Fail},
		{"sk-ecdsa-sha2-nistp256@openssh.com", 256, Options{}, Warn},
		{"ssh-ed25519", 256, Options{}, OK},
		{"ssh-ed25519-cert-v01@openssh.com", 256, Options{}, OK},
		{"sk-ssh-ed25519@openssh.com", 256, Options{}, OK},
		{"ssh-mldsa-65", 0, Options{}, OK},
		{"ssh-foo@example.com", 99, Options{}, Unknown},
		{"ssh-dss", 2048, Options{}, Fail},
		{"spki-sign-rsa", 2048, Options{}, Warn}, // sized from the key, not from the name
		{"x509v3-sign-rsa", 4096, Options{}, OK},
		{"ecdsa-sha2-1.3.132.0.10", 256, Options{}, Warn},
	}
	for _, tt := range tests {
		if got, why := rateKey(tt.typ, tt.bits, tt.opts); got != tt.want || why == "" {
			t.Errorf("rateKey(%s, %d) = %s %q, want %s", tt.typ, tt.bits, got, why, tt.want)
		}
	}
}

func TestKeyFindingsRateCertificateCA(t *testing.T) {
	fs := keyFindings([]HostKey{
		{Type: "ssh-ed25519-cert-v01@openssh.com", Bits: 256, Cert: &CertInfo{CAType: "ssh-rsa", CABits: 1024}},
		{Type: "ssh-ed25519", Bits: 256},
	}, Options{})
	if len(fs) != 3 {
		t.Fatalf("got %d findings, want 3: %+v", len(fs), fs)
	}
	if fs[0].Severity != OK || fs[1].Severity != Fail || fs[1].Reason != "certificate CA: RSA key of 1024 bits (< 2048)" || fs[2].Severity != OK {
		t.Errorf("findings %+v", fs)
	}
}
