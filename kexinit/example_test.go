package kexinit_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/kexinit"
)

// Probe reads a server's version line and first KEXINIT without any key
// exchange or crypto: it works on servers no client can negotiate with.
func ExampleProbe() {
	srv, err := demo.Start("127.0.0.1:0") // sshpin's demo server
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := kexinit.Dial(ctx, "127.0.0.1", srv.Addr().Port)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	hello, err := kexinit.Probe(conn, kexinit.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hello.Banner.Raw)
	fmt.Println("offers ssh-ed25519:", slices.Contains(hello.KexInit.ServerHostKeyAlgos, "ssh-ed25519"))
	// Output:
	// SSH-2.0-sshpin_demo
	// offers ssh-ed25519: true
}
