package sshdial_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/sftp"

	"github.com/sshpin/sshpin/knownhosts"
	"github.com/sshpin/sshpin/sshdial"
)

// Dial a host whose key is pinned in ~/.ssh/known_hosts, run a command
// on the verified connection, and open SFTP on it with pkg/sftp.
func Example() {
	home, _ := os.UserHomeDir()
	pins, err := knownhosts.Open(filepath.Join(home, ".ssh", "known_hosts"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := sshdial.Dial(context.Background(), sshdial.Options{
		Host:    "files.example.com",
		User:    "deploy",
		Pinned:  pins,
		Timeout: 30 * time.Second,
		Auth: sshdial.Auth{
			KeyFiles:    []string{filepath.Join(home, ".ssh", "id_ed25519")},
			AgentSocket: os.Getenv("SSH_AUTH_SOCK"),
		},
	})
	if err != nil {
		// A *sshdial.HostKeyError: the server was refused before it
		// saw a user name or a credential.
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("verified", c.Addr())

	s, err := c.NewSession()
	if err != nil {
		log.Fatal(err)
	}
	out, err := s.Output("uname -a")
	s.Close()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", out)

	fs, err := sftp.NewClient(c.Client)
	if err != nil {
		log.Fatal(err)
	}
	defer fs.Close()
	entries, err := fs.ReadDir(".")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name())
	}
}
