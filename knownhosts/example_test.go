package knownhosts_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/knownhosts"
)

// Pin a server's keys in files ssh reads, then connect only if the server
// proves one of them: the callback checks the key, and HostKeyAlgorithms
// asks only for the pinned types, so a server that prefers another type
// is not mistaken for a changed key (golang/go#29286).
func ExampleOpen() {
	addr, files, done := demoPins() // the demo server and two files pinning it
	defer done()

	set, err := knownhosts.Open(files...)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &ssh.ClientConfig{
		User:              "demo",
		Auth:              []ssh.AuthMethod{ssh.Password("demo")},
		HostKeyCallback:   set.HostKeyCallback(),
		HostKeyAlgorithms: set.HostKeyAlgorithms(addr),
	}
	client, err := ssh.Dial("tcp", addr, cfg)
	var changed *knownhosts.ChangedError
	var unknown *knownhosts.UnknownError
	var revoked *knownhosts.RevokedError
	switch {
	case errors.As(err, &changed):
		fmt.Println("the host key changed: pinned at", len(changed.Want), "lines")
	case errors.As(err, &unknown):
		fmt.Println("nothing pins", unknown.Name)
	case errors.As(err, &revoked):
		fmt.Println("revoked at", revoked.Line.Pos())
	case err != nil:
		// The demo server lets nobody log in: the host key was verified.
		fmt.Println("host key verified; login:", strings.Contains(err.Error(), "unable to authenticate"))
	default:
		client.Close()
	}
	// Output: host key verified; login: true
}

// A key other than the pinned one is a *ChangedError naming every pin by
// file:line.
func ExampleChangedError() {
	dir, _ := os.MkdirTemp("", "knownhosts-example")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "known_hosts")
	os.WriteFile(file, []byte("db-1.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFHDv4QQxcCcNSr0ki3aifu4CZA2HRn1sASg52UzEzMP\n"), 0o644)

	set, _ := knownhosts.Open(file)
	other, _, _, _, _ := ssh.ParseAuthorizedKey([]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"))
	err := set.HostKeyCallback()("db-1.example:22", nil, other)
	var changed *knownhosts.ChangedError
	if errors.As(err, &changed) {
		fmt.Println(changed.Name, "is pinned at", filepath.Base(changed.Want[0].File)+":", changed.Want[0].Num)
	}
	// Output: db-1.example is pinned at known_hosts: 1
}

// demoPins starts sshpin's demo server and pins its keys as ssh would,
// split over ~/.ssh/known_hosts and ~/.ssh/known_hosts2.
func demoPins() (addr string, files []string, done func()) {
	srv, err := demo.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	signers, err := demo.Signers()
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "knownhosts-example")
	if err != nil {
		log.Fatal(err)
	}
	addr = srv.Addr().String()
	name := fmt.Sprintf("[127.0.0.1]:%d", srv.Addr().Port)
	for i, s := range signers {
		f := filepath.Join(dir, "known_hosts"+strings.Repeat("2", i%2))
		line := name + " " + string(ssh.MarshalAuthorizedKey(s.PublicKey()))
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		fh.WriteString(line)
		fh.Close()
		if !contains(files, f) {
			files = append(files, f)
		}
	}
	return addr, files, func() { srv.Close(); os.RemoveAll(dir) }
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
