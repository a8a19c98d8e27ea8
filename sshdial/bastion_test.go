package sshdial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// bastion is an in-process jump host: an x/crypto server that opens
// direct-tcpip channels (to loopback only) and logs every authentication
// attempt with what it carried, so that a test can tell which secrets
// reached it.
type bastion struct {
	Host string
	Port int
	Addr string
	Key  ssh.Signer

	cfg      bastionConfig
	mu       sync.Mutex
	attempts []authAttempt
}

type bastionConfig struct {
	userKeys  []ssh.PublicKey // accepted by publickey
	password  string          // accepted by password and keyboard-interactive, if set
	noForward bool            // refuse direct-tcpip as an sshd with AllowTcpForwarding no does
}

// authAttempt is one user-auth request: Key is the offered key's SHA256
// fingerprint, Password the password or keyboard-interactive answer.
type authAttempt struct {
	User, Method, Key, Password string
}

func startBastion(t testing.TB, cfg bastionConfig) *bastion {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &bastion{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Addr: ln.Addr().String(), Key: newHostKey(t, "ed25519"), cfg: cfg}
	var wg sync.WaitGroup
	var cmu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			cmu.Lock()
			conns[c] = true
			cmu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				b.serve(c, &wg)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		cmu.Lock()
		for c := range conns {
			c.Close()
		}
		cmu.Unlock()
		wg.Wait()
	})
	return b
}

func (b *bastion) log(a authAttempt) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.attempts = append(b.attempts, a)
}

// Attempts returns every authentication attempt so far.
func (b *bastion) Attempts() []authAttempt {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]authAttempt(nil), b.attempts...)
}

func (b *bastion) serve(c net.Conn, wg *sync.WaitGroup) {
	sc := &ssh.ServerConfig{
		AuthLogCallback: func(m ssh.ConnMetadata, method string, _ error) {
			if method == "none" {
				b.log(authAttempt{User: m.User(), Method: method})
			}
		},
		PublicKeyCallback: func(m ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			b.log(authAttempt{User: m.User(), Method: "publickey", Key: ssh.FingerprintSHA256(key)})
			for _, k := range b.cfg.userKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("unknown key")
		},
		PasswordCallback: func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			b.log(authAttempt{User: m.User(), Method: "password", Password: string(pw)})
			if b.cfg.password != "" && string(pw) == b.cfg.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		KeyboardInteractiveCallback: func(m ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			ans, err := ch("", "", []string{"Password: "}, []bool{false})
			if err != nil {
				return nil, err
			}
			a := authAttempt{User: m.User(), Method: "keyboard-interactive"}
			if len(ans) > 0 {
				a.Password = ans[0]
			}
			b.log(a)
			if b.cfg.password != "" && len(ans) == 1 && ans[0] == b.cfg.password {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
	}
	sc.AddHostKey(b.Key)
	conn, chans, reqs, err := ssh.NewServerConn(c, sc)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			nc.Reject(ssh.UnknownChannelType, "forwarding only")
			continue
		}
		if b.cfg.noForward {
			// What OpenSSH's sshd answers under AllowTcpForwarding no.
			nc.Reject(ssh.Prohibited, "administratively prohibited: open failed")
			continue
		}
		var req struct {
			Host       string
			Port       uint32
			OriginHost string
			OriginPort uint32
		}
		if err := ssh.Unmarshal(nc.ExtraData(), &req); err != nil {
			nc.Reject(ssh.ConnectionFailed, "bad request")
			continue
		}
		if ip := net.ParseIP(req.Host); ip == nil || !ip.IsLoopback() {
			nc.Reject(ssh.ConnectionFailed, fmt.Sprintf("loopback only, not %s", req.Host))
			continue
		}
		up, err := net.Dial("tcp", net.JoinHostPort(req.Host, strconv.Itoa(int(req.Port))))
		if err != nil {
			nc.Reject(ssh.ConnectionFailed, err.Error())
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			up.Close()
			continue
		}
		go ssh.DiscardRequests(creqs)
		wg.Add(2)
		go func() { defer wg.Done(); io.Copy(up, ch); up.Close() }()
		go func() { defer wg.Done(); io.Copy(ch, up); ch.Close() }()
	}
}
