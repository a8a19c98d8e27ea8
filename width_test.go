package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clipperhouse/displaywidth"
	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/kexinit"
)

// certDemo starts a demo server that also presents a host certificate,
// whose note is the longest cell scan prints.
func certDemo(t *testing.T) string {
	t.Helper()
	signers, err := demo.Signers()
	if err != nil {
		t.Fatal(err)
	}
	_, caKey, _ := ed25519.GenerateKey(rand.Reader)
	ca, err := ssh.NewSignerFromKey(caKey)
	if err != nil {
		t.Fatal(err)
	}
	host := signers[0]
	cert := &ssh.Certificate{
		Key: host.PublicKey(), CertType: ssh.HostCert, KeyId: "web-1.example.com host key, issued by the fleet CA",
		ValidPrincipals: []string{"web-1.example.com", "web-1", "10.20.30.40", "web-1.internal.example.com"},
		ValidAfter:      uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
		ValidBefore:     uint64(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix()),
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	cs, err := ssh.NewCertSigner(cert, host)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := demo.StartWith("127.0.0.1:0", append([]ssh.Signer{cs}, signers...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "127.0.0.1:" + strconv.Itoa(srv.Addr().Port)
}

// oldServer is a raw server that says hello like an old router: a long
// version comment, a word longer than any terminal, and only algorithms
// no modern client offers, so that diagnose prints every list it has.
func oldServer(t *testing.T) string {
	t.Helper()
	return helloServer(t, "")
}

// helloServer is oldServer with pre lines sent before the version line.
func helloServer(t *testing.T, pre string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	k := &kexinit.KexInit{
		KexAlgos:                []string{"diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"},
		ServerHostKeyAlgos:      []string{"ssh-dss"},
		CiphersClientServer:     []string{"3des-cbc", "blowfish-cbc", "cast128-cbc", "arcfour", "rijndael-cbc@lysator.liu.se"},
		CiphersServerClient:     []string{"3des-cbc", "blowfish-cbc", "cast128-cbc", "arcfour", "rijndael-cbc@lysator.liu.se"},
		MACsClientServer:        []string{"hmac-md5", "hmac-md5-96", "hmac-ripemd160"},
		MACsServerClient:        []string{"hmac-md5", "hmac-md5-96", "hmac-ripemd160"},
		CompressionClientServer: []string{"none", "zlib"}, CompressionServerClient: []string{"none", "zlib"},
		LanguagesClientServer: []string{}, LanguagesServerClient: []string{},
	}
	banner := "SSH-2.0-OldRouterOS_6.1 " + strings.Repeat("x", 120) + " built for the customer premises equipment of a very long product line"
	hello := append([]byte(pre+banner+"\r\n"), kexinit.AppendPacket(nil, k.Marshal())...)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write(hello)
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestOutputFitsTheTerminal renders every command's human output at 80
// and at 200 columns and checks that no line is wider (by display width:
// what a terminal shows, not bytes).
func TestOutputFitsTheTerminal(t *testing.T) {
	srv, err := demo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	plain := "127.0.0.1:" + strconv.Itoa(srv.Addr().Port)
	withCert := certDemo(t)
	old := oldServer(t)
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }

	cli := func(args ...string) (string, int) {
		var out bytes.Buffer
		code := run(context.Background(), append([]string{"sshpin"}, args...), strings.NewReader(""), &out, io.Discard)
		return out.String(), code
	}
	if _, code := cli("pin", "--pinned", file("host.keys"), "--baseline", file("base.txt"), plain); code != 0 {
		t.Fatalf("pin: exit %d", code)
	}
	// A changed key, a malformed line, a reordered and a shortened list.
	keys, _ := os.ReadFile(file("host.keys"))
	tampered := strings.Replace(string(keys), "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnHDWWXor/OP1/Jt0oYE24FBe158qZygDv3/TvGpxzW",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd4cKnYcV0r3nS2HjXN3tA2gO0jHm+v7x0E1m5Kx2Zr", 1)
	os.WriteFile(file("changed.keys"), []byte(tampered+"garbage line that is not a known_hosts entry at all\n"), 0o644)
	base, _ := os.ReadFile(file("base.txt"))
	b := string(base)
	b = strings.Replace(b, "banner = SSH-2.0-sshpin_demo", "banner = SSH-2.0-sshpin_demo_1.0 with a comment", 1)
	for _, l := range strings.Split(b, "\n") {
		if strings.HasPrefix(l, "mac_algorithms_server_to_client = ") {
			b = strings.Replace(b, l, strings.Replace(l, ",hmac-sha1-96", "", 1), 1)
		}
		if strings.HasPrefix(l, "encryption_algorithms_client_to_server = ") {
			names := strings.Split(strings.TrimPrefix(l, "encryption_algorithms_client_to_server = "), ",")
			for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
				names[i], names[j] = names[j], names[i]
			}
			b = strings.Replace(b, l, "encryption_algorithms_client_to_server = "+strings.Join(names, ","), 1)
		}
	}
	os.WriteFile(file("drift.txt"), []byte(b), 0o644)

	runs := [][]string{
		{"probe", plain, old},
		{"scan", plain, withCert, old},
		{"pin", "--pinned", file("pin.keys"), plain, withCert},
		{"pin", "--pinned", file("changed.keys"), plain},
		{"check", "--pinned", file("host.keys")},
		{"check", "--pinned", file("changed.keys"), "--policy", "strict", "--baseline", file("drift.txt"), plain, withCert, old},
		{"check", "--pinned", file("tofu.keys"), "--trust-on-first-use", plain},
		{"audit", plain, withCert, old},
		{"audit", "--policy", "strict", plain},
		{"diagnose", "--client", "all", old},
		{"diagnose", "--client", "all", "--pinned", file("host.keys"), plain},
		{"lint", file("changed.keys")},
		{"demo"},
		{"--help"}, {"check", "--help"}, {"audit", "--help"}, {"sftp", "--help"}, {"sftp", "get", "--help"},
	}
	for _, width := range []int{80, 200} {
		t.Setenv("COLUMNS", strconv.Itoa(width))
		for _, args := range runs {
			out, _ := cli(args...)
			if d := os.Getenv("SSHPIN_DUMP"); d != "" {
				f, _ := os.OpenFile(d, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				f.WriteString("=== " + strconv.Itoa(width) + " " + strings.Join(args, " ") + "\n" + out)
				f.Close()
			}
			if strings.TrimSpace(out) == "" {
				t.Errorf("%d columns: sshpin %s printed nothing", width, strings.Join(args, " "))
			}
			for _, l := range strings.Split(out, "\n") {
				if w := displaywidth.String(l); w > width {
					t.Errorf("%d columns: sshpin %s: a line of %d columns:\n%s", width, args[0], w, l)
				}
			}
		}
	}
}

// TestEachMessageOnce: a server whose only key needs --legacy is told to
// rerun with --legacy once, not once per place that knows it.
func TestEachMessageOnce(t *testing.T) {
	t.Setenv("COLUMNS", "300")
	old := oldServer(t)
	for _, args := range [][]string{{"scan", "--known-hosts", old}, {"scan", old}, {"pin", "--pinned", filepath.Join(t.TempDir(), "k"), old}} {
		var out, errs bytes.Buffer
		run(context.Background(), append([]string{"sshpin"}, args...), strings.NewReader(""), &out, &errs)
		if n := strings.Count(out.String()+errs.String(), "rerun with --legacy"); n != 1 {
			t.Errorf("sshpin %s: \"rerun with --legacy\" %d times:\n%s%s", args[0], n, out.String(), errs.String())
		}
	}
}

// TestDroppedConnectionsSuggestPace: a server that hangs up at once (as
// sshd does past MaxStartups) gets the advice that spares it.
func TestDroppedConnectionsSuggestPace(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var errs bytes.Buffer
	code := run(context.Background(), []string{"sshpin", "probe", ln.Addr().String()}, strings.NewReader(""), io.Discard, &errs)
	if code != exitFailure || !strings.Contains(errs.String(), "sshpin: hint: 1 target closed the connection early; a server that drops connections under load is spared by --pace 1s or a lower --concurrency") {
		t.Errorf("exit %d, stderr:\n%s", code, errs.String())
	}
}

// TestDuplicateTargetsMerged: a target named twice is scanned once, and
// the run says so.
func TestDuplicateTargetsMerged(t *testing.T) {
	srv, err := demo.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := "127.0.0.1:" + strconv.Itoa(srv.Addr().Port)
	for _, cmd := range []string{"probe", "audit"} {
		var out, errs bytes.Buffer
		run(context.Background(), []string{"sshpin", cmd, "--json", addr, "[127.0.0.1]:" + strconv.Itoa(srv.Addr().Port), addr}, strings.NewReader(""), &out, &errs)
		if n := strings.Count(out.String(), `"target"`); n != 1 {
			t.Errorf("%s: %d records, want 1", cmd, n)
		}
		if !strings.Contains(errs.String(), "sshpin: 2 duplicate targets merged: each target is worked on once") {
			t.Errorf("%s: stderr:\n%s", cmd, errs.String())
		}
	}
}

// TestPreambleKeepsItsCount: the JSON record says how many lines came
// before the version line, also when it keeps only the first ones.
func TestPreambleKeepsItsCount(t *testing.T) {
	addr := helloServer(t, strings.Repeat("please wait\r\n", 40))
	var out bytes.Buffer
	run(context.Background(), []string{"sshpin", "probe", "--json", addr}, strings.NewReader(""), &out, io.Discard)
	if !strings.Contains(out.String(), `"preamble_lines":40`) {
		t.Errorf("record: %s", out.String())
	}
	out.Reset()
	run(context.Background(), []string{"sshpin", "probe", addr}, strings.NewReader(""), &out, io.Discard)
	if !strings.Contains(out.String(), "(40 lines in all, the first") {
		t.Errorf("table: %s", out.String())
	}
}
