package sshdial

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Dial offers each host its own Auth: a jump host never sees the target's
// keys or password, also when it refuses its own and the target's would
// be next to try.
func TestDialHopGetsItsOwnAuth(t *testing.T) {
	targetKey, targetPub := userKey(t, "")
	hopKey, _ := userKey(t, "")
	const password = "target-only"
	tgt := startServer(t, serverConfig{userKeys: []ssh.PublicKey{targetPub}})
	b := startBastion(t, bastionConfig{}) // accepts nothing
	f, _ := pinFile(t, b.Host, b.Port, b.Key.PublicKey())
	g, _ := pinFile(t, tgt.Host, tgt.Port, tgt.cfg.hostKeys[0].PublicKey())
	o := tgt.options(targetKey, f, g)
	o.Auth.Password = func(string, string, int) (string, error) { return password, nil }
	o.Jump = []Hop{{Host: b.Host, Port: b.Port, User: "hop", Auth: Auth{KeyFiles: []string{hopKey}}}}
	o.Timeout = 10 * time.Second
	if c, err := Dial(context.Background(), o); err == nil {
		c.Close()
		t.Fatal("Dial through a bastion that accepts nothing succeeded")
	}
	if len(b.Attempts()) == 0 {
		t.Fatal("the bastion saw no attempt")
	}
	for _, a := range b.Attempts() {
		if a.User != "hop" || a.Key == ssh.FingerprintSHA256(targetPub) || a.Password != "" {
			t.Errorf("the bastion got %+v", a)
		}
	}
}
