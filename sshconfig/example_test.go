package sshconfig_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sshpin/sshpin/sshconfig"
)

// Resolving a host as ssh would: the first value obtained wins, and the
// jump hosts come out first to last.
func Example() {
	dir, _ := os.MkdirTemp("", "sshconfig")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "config")
	os.WriteFile(file, []byte(`
Host web
  HostName 192.0.2.10
  User deploy
  ProxyJump bastion
Host bastion
  HostName 192.0.2.1
  Port 2222
Host *
  User nobody
`), 0o600)

	cfg, err := sshconfig.Read([]string{file}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	hc := cfg.Resolve("web", "")
	fmt.Println(hc.HostName, hc.User, hc.ProxyJump)
	hops, err := cfg.JumpChain(sshconfig.Target{Host: "web", Port: 22}, hc)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hops {
		fmt.Println("via", h.Target.Host, h.Config.HostName, h.Config.Port, h.Config.User)
	}
	// Output:
	// 192.0.2.10 deploy bastion
	// via bastion 192.0.2.1 2222 nobody
}
