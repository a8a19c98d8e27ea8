package knownhosts

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

type oracleCase struct {
	name, host string
	port       int
	cert       bool
	accept     bool
	content    string
}

// readOracle reads oracle.txt: known_hosts files and whether the real ssh
// client accepted the server's key with each (made by gen.sh).
func readOracle(t *testing.T) (key, cert ssh.PublicKey, cases []oracleCase) {
	b, err := os.ReadFile(filepath.Join(testdata, "oracle.txt"))
	if err != nil {
		t.Fatal(err)
	}
	parseKey := func(s string) ssh.PublicKey {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
		if err != nil {
			t.Fatalf("oracle.txt: %v", err)
		}
		return k
	}
	var cur *oracleCase
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "server-key "):
			key = parseKey(strings.TrimPrefix(line, "server-key "))
		case strings.HasPrefix(line, "server-cert "):
			cert = parseKey(strings.TrimPrefix(line, "server-cert "))
		case strings.HasPrefix(line, "== "):
			f := strings.Split(strings.TrimPrefix(strings.TrimSpace(line), "== "), " | ")
			if len(f) != 5 {
				t.Fatalf("oracle.txt: bad case header %q", line)
			}
			port, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatal(err)
			}
			cases = append(cases, oracleCase{name: f[0], host: f[1], port: port, cert: f[3] == "cert", accept: f[4] == "accept"})
			cur = &cases[len(cases)-1]
		case cur != nil:
			cur.content += line
		}
	}
	if key == nil || cert == nil || len(cases) == 0 {
		t.Fatal("oracle.txt: incomplete")
	}
	return key, cert, cases
}

// stricter lists the cases where sshpin deliberately refuses what ssh
// accepts. ssh only applies a @revoked line to the hosts it matches; a key
// revoked anywhere is compromised everywhere, so sshpin (like x/crypto)
// revokes it for every host, and Lint flags such host-specific lines.
var stricter = map[string]string{
	"revoked by a line for another host":             "revocation is global",
	"revoked for the bare host, pinned for the port": "revocation is global",
}

// TestOracle checks Lookup and Verify against what the OpenSSH client
// decided for the same file, host and port.
func TestOracle(t *testing.T) {
	key, cert, cases := readOracle(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.content)
			m := mustLookup(t, f, c.host, c.port)
			offered := key
			if c.cert {
				offered = cert
			}
			want := c.accept
			if _, ok := stricter[c.name]; ok {
				want = false
			}
			err := m.Verify(offered)
			if got := err == nil; got != want {
				t.Errorf("%s port %d: Verify = %v, want accepted: %v (ssh: %v)\n%s", c.host, c.port, err, want, c.accept, c.content)
			}
			// The callback is the same decision, reached through ssh's address form.
			cbErr := f.HostKeyCallback()(net.JoinHostPort(c.host, strconv.Itoa(c.port)), anyRemote, offered)
			if (cbErr == nil) != want {
				t.Errorf("HostKeyCallback = %v, want accepted: %v", cbErr, want)
			}
		})
	}
}
