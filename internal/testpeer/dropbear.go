package testpeer

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// DropbearKeyTypes are Dropbear's default host keys.
var DropbearKeyTypes = []string{"ed25519", "ecdsa", "rsa-2048"}

// Dropbear starts a dropbear server on 127.0.0.1 with host keys of
// keyTypes (default ed25519, ecdsa, rsa-2048). ssh-keygen makes the keys,
// dropbearconvert turns them into dropbear's own format, which is all
// dropbear 2022.83 reads.
//
// Dropbear refuses to log to stderr in inetd mode, so Log holds only its
// fatal errors and exit statuses.
func Dropbear(t testing.TB, keyTypes ...string) *Peer {
	t.Helper()
	dropbear := Require(t, "dropbear")
	convert := Require(t, "dropbearconvert")
	if len(keyTypes) == 0 {
		keyTypes = DropbearKeyTypes
	}
	dir := t.TempDir()
	p := &Peer{Host: "127.0.0.1", Dir: dir, kind: "dropbear"}
	var keyArgs []string
	install := func(t testing.TB, types []string) {
		t.Helper()
		if len(types) == 0 {
			types = keyTypes
		}
		keyTypes = types
		p.gen++
		gen := p.gen
		priv, pub := genKeys(t, dir, func(s string) string { return hostKeyName(s, gen) }, types)
		var args []string
		for _, k := range priv {
			db := filepath.Join(dir, "dropbear_"+filepath.Base(k))
			if out, err := exec.Command(convert, "openssh", "dropbear", k, db).CombinedOutput(); err != nil {
				t.Fatalf("testpeer: dropbearconvert openssh dropbear %s %s: %v\n%s", k, db, err, out)
			}
			args = append(args, "-r", db)
		}
		p.HostKeys, p.PubKeys, keyArgs = priv, pub, args
	}
	install(t, nil)

	p.srv = serve(t, func() []string {
		p.mu.Lock()
		defer p.mu.Unlock()
		// -s: no passwords; -j -k: no forwarding. Logins are not this
		// harness's business for dropbear.
		return append([]string{dropbear, "-i", "-s", "-j", "-k"}, keyArgs...)
	})
	p.Port = p.srv.port()
	p.Addr = fmt.Sprintf("%s:%d", p.Host, p.Port)
	p.Log = p.srv.log.String
	p.rotate = func(t testing.TB, types []string) {
		p.mu.Lock()
		defer p.mu.Unlock()
		install(t, types)
	}
	return p
}
