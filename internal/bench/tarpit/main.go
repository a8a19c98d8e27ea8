// Command tarpit is the hostile host of bench/fleet.sh: it accepts every
// connection, sends the start of an SSH version line and never finishes
// it, and holds the connection until the client gives up. A client
// without a deadline on the whole conversation hangs on it for ever.
//
//	tarpit -listen 0.0.0.0:2222
package main

import (
	"flag"
	"io"
	"log"
	"net"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:2222", "address to accept on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			// Half a banner: enough to look alive, never a line.
			c.Write([]byte("SSH-2.0-"))
			// Read until the client hangs up, so the socket is freed when
			// the client's deadline fires, not when ours would.
			io.Copy(io.Discard, c)
		}()
	}
}
