package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
)

// Servers no real peer can play: ones that answer wrongly, and a jump
// host that writes down every credential it is offered.

type fake struct {
	ln    net.Listener
	conns atomic.Int64
}

var fakesMu sync.Mutex

func (st *peerState) fakes() map[string]*fake {
	fakesMu.Lock()
	defer fakesMu.Unlock()
	if st.fake == nil {
		st.fake = map[string]*fake{}
	}
	return st.fake
}

// listen accepts loopback connections and hands each to serve until the
// script ends.
func listen(ts *testscript.TestScript, st *peerState, name string, serve func(net.Conn)) *fake {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	ts.Check(err)
	f := &fake{ln: ln}
	var wg sync.WaitGroup
	ts.Defer(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	fakesMu.Lock()
	if st.fake == nil {
		st.fake = map[string]*fake{}
	}
	st.fake[name] = f
	fakesMu.Unlock()
	addr := ln.Addr().(*net.TCPAddr)
	ts.Setenv(name, addr.String())
	ts.Setenv(name+"_HOST", addr.IP.String())
	ts.Setenv(name+"_PORT", strconv.Itoa(addr.Port))
	return f
}

// kexinitPacket is a server's version line and a KEXINIT offering kex
// and ciphers (both directions), framed as RFC 4253 §6 says, unencrypted.
func kexinitPacket(kex, ciphers string) []byte {
	var p []byte
	p = append(p, 20)
	p = append(p, make([]byte, 16)...)
	for _, l := range []string{kex, "ssh-ed25519", ciphers, ciphers, "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""} {
		p = binary.BigEndian.AppendUint32(p, uint32(len(l)))
		p = append(p, l...)
	}
	p = append(p, 0, 0, 0, 0, 0)
	pad := 8 - (len(p)+5)%8
	if pad < 4 {
		pad += 8
	}
	out := []byte("SSH-2.0-Fake_1.0\r\n")
	out = binary.BigEndian.AppendUint32(out, uint32(1+len(p)+pad))
	out = append(out, byte(pad))
	out = append(out, p...)
	return append(out, make([]byte, pad)...)
}

func newEd25519(ts *testscript.TestScript) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	ts.Check(err)
	return k
}

func allLines(ts *testscript.TestScript, text, expr string) {
	re, err := regexp.Compile(expr)
	ts.Check(err)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if strings.TrimSpace(text) == "" {
		ts.Check(errNoLines)
	}
	for _, l := range lines {
		if !re.MatchString(l) {
			ts.Fatalf("line %q does not match %q", l, expr)
		}
	}
}

func fakeCmds(t *testing.T) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// fake-server KIND NAME [KEX CIPHERS] starts a server that
		// misbehaves as KIND says: http (answers HTTP), kexinit (offers
		// only KEX and CIPHERS), hangup (closes at once), silent (says
		// nothing), ssh1 (speaks SSH-1.5). $NAME is its host:port.
		"fake-server": func(ts *testscript.TestScript, neg bool, args []string) {
			if len(args) < 2 {
				ts.Fatalf("usage: fake-server KIND NAME [KEX CIPHERS]")
			}
			st := peersOf(t, ts)
			var serve func(net.Conn)
			switch args[0] {
			case "http":
				serve = func(c net.Conn) {
					bufio.NewReader(c).ReadString('\n')
					c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
				}
			case "kexinit":
				if len(args) != 4 {
					ts.Fatalf("usage: fake-server kexinit NAME KEX CIPHERS")
				}
				pkt := kexinitPacket(args[2], args[3])
				serve = func(c net.Conn) {
					c.Write(pkt)
					bufio.NewReader(c).ReadString('\n')
					c.Read(make([]byte, 4096))
				}
			case "hangup":
				serve = func(net.Conn) {}
			case "silent":
				// Accepts and says nothing until the client leaves.
				serve = func(c net.Conn) { io.Copy(io.Discard, c) }
			case "ssh1":
				serve = func(c net.Conn) { c.Write([]byte("SSH-1.5-OldServer\r\n")) }
			default:
				ts.Fatalf("unknown fake-server kind %q", args[0])
			}
			listen(ts, st, args[1], serve)
		},
		// bastion [-accept KEY] NAME starts an in-process jump host that
		// lets in the client key named (client-key) and nothing else, and
		// forwards direct-tcpip to loopback. Every authentication attempt
		// is a line "user=U key=HEX|none password=P" in $NAME_ATTEMPTS;
		// $NAME_PINS pins its key.
		"bastion": func(ts *testscript.TestScript, neg bool, args []string) {
			var accept string
			if len(args) == 3 && args[0] == "-accept" {
				accept, args = ts.Getenv(args[1]+"_FP"), args[2:]
			}
			if len(args) != 1 {
				ts.Fatalf("usage: bastion [-accept KEY] NAME")
			}
			name := args[0]
			st := peersOf(t, ts)
			signer, err := ssh.NewSignerFromKey(newEd25519(ts))
			ts.Check(err)
			attempts := filepath.Join(ts.Getenv("WORK"), name+".attempts")
			ts.Check(os.WriteFile(attempts, nil, 0o600))
			var mu sync.Mutex
			record := func(user, key, password string) {
				mu.Lock()
				defer mu.Unlock()
				f, err := os.OpenFile(attempts, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					return
				}
				defer f.Close()
				fmt.Fprintf(f, "user=%s key=%s password=%s\n", user, key, password)
			}
			cfg := &ssh.ServerConfig{
				PublicKeyCallback: func(m ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
					record(m.User(), keyHex(k), "")
					if accept != "" && keyHex(k) == accept {
						return nil, nil
					}
					return nil, fmt.Errorf("no")
				},
				PasswordCallback: func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
					record(m.User(), "none", strconv.Quote(string(pw)))
					return nil, fmt.Errorf("no")
				},
				KeyboardInteractiveCallback: func(m ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
					ans, _ := ch("", "", []string{"Password: "}, []bool{false})
					record(m.User(), "none", strconv.Quote(strings.Join(ans, ",")))
					return nil, fmt.Errorf("no")
				},
			}
			cfg.AddHostKey(signer)
			f := listen(ts, st, name, func(c net.Conn) {
				_, chans, reqs, err := ssh.NewServerConn(c, cfg)
				if err != nil {
					return
				}
				go ssh.DiscardRequests(reqs)
				for nc := range chans {
					if nc.ChannelType() != "direct-tcpip" {
						nc.Reject(ssh.UnknownChannelType, "no")
						continue
					}
					var dst struct {
						Host     string
						Port     uint32
						OrigHost string
						OrigPort uint32
					}
					if ssh.Unmarshal(nc.ExtraData(), &dst) != nil || (dst.Host != "127.0.0.1" && dst.Host != "localhost") {
						nc.Reject(ssh.Prohibited, "loopback only")
						continue
					}
					up, err := net.Dial("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(dst.Port))))
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
					go func() {
						defer ch.Close()
						defer up.Close()
						done := make(chan struct{}, 2)
						go func() { io.Copy(up, ch); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
						go func() { io.Copy(ch, up); ch.CloseWrite(); done <- struct{}{} }()
						<-done
						<-done
					}()
				}
			})
			addr := f.ln.Addr().(*net.TCPAddr)
			pins := filepath.Join(ts.Getenv("WORK"), name+".pins")
			line := fmt.Sprintf("[127.0.0.1]:%d %s", addr.Port, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))))
			ts.Check(os.WriteFile(pins, []byte(line+"\n"), 0o600))
			ts.Setenv(name+"_PINS", pins)
			ts.Setenv(name+"_ATTEMPTS", attempts)
		},
	}
}

// relayMain is what a proxy command does (nc HOST PORT), as the program
// "relay ADDR" in scripts: it carries its standard input and output to a
// TCP connection until either side ends.
func relayMain() int {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: relay HOST:PORT")
		return 2
	}
	c, err := net.Dial("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		return 1
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, os.Stdin); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(os.Stdout, c); done <- struct{}{} }()
	<-done
	return 0
}
