package scan_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sshpin/sshpin/internal/demo"
	"github.com/sshpin/sshpin/scan"
	"github.com/sshpin/sshpin/target"
)

// Scan runs one key exchange per host key type the server offers and
// returns every key it proved, fingerprinted as ssh-keygen -l prints them.
func ExampleScan() {
	srv, err := demo.Start("127.0.0.1:0") // sshpin's demo server, with fixed keys
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	t, err := target.Parse(srv.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	r := scan.Scan(context.Background(), t, scan.Options{Timeout: 10 * time.Second})
	if r.Err != nil {
		log.Fatal(scan.Describe(r.Err))
	}
	for _, k := range r.Keys {
		fmt.Println(k.Type, k.Bits, k.SHA256)
	}
	// Output:
	// ecdsa-sha2-nistp256 256 SHA256:I/+rtYWldNAe2hAUlkqOqs4DmXZFqd6UdlHXM79Jzm0
	// ssh-ed25519 256 SHA256:eQguyb0kmxR0CYWbAj6ePKOYia4XjsZXOlgCT7hmkB0
	// ssh-rsa 3072 SHA256:NsemgTDP3e9Z34velfwr3XPqUP9+OZEMSNnDEvNETwA
}
