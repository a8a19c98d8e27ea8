package negotiate_test

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshpin/sshpin/internal/testpeer"
	"github.com/sshpin/sshpin/negotiate"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// probe reads the peer's KEXINIT as diagnose does.
func probe(t *testing.T, p *testpeer.Peer) *scan.Result {
	t.Helper()
	tg, err := target.Parse(p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	r := scan.Probe(context.Background(), tg, scan.Options{Timeout: 20 * time.Second})
	if r.Err != nil {
		t.Fatalf("probe: %v\n%s", r.Err, p.Log())
	}
	return r
}

func profile(t *testing.T, name string) negotiate.Profile {
	t.Helper()
	p, ok := negotiate.ProfileByName(name)
	if !ok {
		t.Fatalf("no profile %q", name)
	}
	return p
}

var kexLine = regexp.MustCompile(`(?m)^debug1: kex: (algorithm|host key algorithm|server->client cipher|client->server cipher): (\S+)(?: MAC: (\S+) compression: (\S+))?`)

// realSSH runs the installed OpenSSH client against p with its defaults (no
// config, no known host) and returns what it negotiated, as its -v output
// says, or the negotiation failure it printed.
func realSSH(t *testing.T, p *testpeer.Peer) (map[negotiate.Slot]string, string) {
	t.Helper()
	argv := []string{"-v", "-F", "/dev/null", "-p", strconv.Itoa(p.Port),
		"-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "nobody@" + p.Host, "true"}
	out, err := exec.CommandContext(t.Context(), testpeer.Require(t, "ssh"), argv...).CombinedOutput()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	got := map[negotiate.Slot]string{}
	for _, m := range kexLine.FindAllStringSubmatch(string(out), -1) {
		switch m[1] {
		case "algorithm":
			got[negotiate.SlotKex] = m[2]
		case "host key algorithm":
			got[negotiate.SlotHostKey] = m[2]
		case "server->client cipher":
			got[negotiate.SlotCipherS2C], got[negotiate.SlotMACS2C], got[negotiate.SlotCompressionS2C] = m[2], mac(m[3]), m[4]
		case "client->server cipher":
			got[negotiate.SlotCipherC2S], got[negotiate.SlotMACC2S], got[negotiate.SlotCompressionC2S] = m[2], mac(m[3]), m[4]
		}
	}
	return got, string(out)
}

func mac(s string) string {
	if s == "<implicit>" {
		return negotiate.Implicit
	}
	return s
}

// diagnose's prediction for the installed OpenSSH client must be what that
// client does, slot by slot, against a modern sshd and dropbear.
func TestPredictionMatchesOpenSSHClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer func(*testing.T) *testpeer.Peer
	}{
		{"sshd", func(t *testing.T) *testpeer.Peer { return testpeer.Modern(t) }},
		{"dropbear", func(t *testing.T) *testpeer.Peer { return testpeer.Dropbear(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.peer(t)
			pred := negotiate.Negotiate(probe(t, p).Hello.KexInit, profile(t, "openssh-9.2"))
			if !pred.OK {
				t.Fatalf("predicted failure: %+v", pred.Failures)
			}
			got, out := realSSH(t, p)
			if len(got) != 8 {
				t.Fatalf("ssh -v showed %d of 8 negotiations:\n%s", len(got), out)
			}
			for _, c := range pred.Choices {
				if got[c.Slot] != c.Algorithm {
					t.Errorf("%s: predicted %s, ssh chose %s", c.Slot, c.Algorithm, got[c.Slot])
				}
			}
		})
	}
}

// Against a legacy-only server, the prediction says which category fails;
// the real ssh and this binary's own client fail there too, and the legacy
// profile that diagnose says would connect does.
func TestPredictionMatchesFailures(t *testing.T) {
	p := testpeer.Legacy(t)
	k := probe(t, p).Hello.KexInit

	pred := negotiate.Negotiate(k, profile(t, "openssh-9.2"))
	if pred.OK || pred.Failures[0].Slot != negotiate.SlotKex {
		t.Fatalf("openssh-9.2: predicted %+v, want a kex failure first", pred)
	}
	if !strings.Contains(pred.Failures[0].ClientFix, "KexAlgorithms=+diffie-hellman-group14-sha1") {
		t.Errorf("client fix %q", pred.Failures[0].ClientFix)
	}
	if _, out := realSSH(t, p); !strings.Contains(out, "no matching key exchange method found") {
		t.Errorf("ssh did not fail at kex as predicted:\n%s", out)
	}

	tg, _ := target.Parse(p.Addr)
	if pred := negotiate.Negotiate(k, profile(t, "xcrypto")); pred.OK {
		t.Error("xcrypto: predicted success against a SHA-1-only server")
	}
	r := scan.Scan(context.Background(), tg, scan.Options{Timeout: 20 * time.Second})
	if len(r.Keys) != 0 || len(r.NotRetrieved) == 0 {
		t.Errorf("x/crypto without legacy got keys %v", r.Keys)
	}
	if pred := negotiate.Negotiate(k, profile(t, "xcrypto-legacy")); !pred.OK {
		t.Errorf("xcrypto-legacy: predicted failure %+v", pred.Failures)
	}
	r = scan.Scan(context.Background(), tg, scan.Options{Timeout: 20 * time.Second, Legacy: true})
	if r.Err != nil || len(r.Keys) != 1 {
		t.Errorf("x/crypto with legacy: %v, %d keys", r.Err, len(r.Keys))
	}
}
