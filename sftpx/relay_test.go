package sftpx

import (
	"fmt"
	"io"
	"net"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv("SFTPX_TEST_RELAY"); addr != "" {
		// The test binary as a proxy command: stdin and stdout to addr.
		os.Exit(relay(addr))
	}
	os.Exit(m.Run())
}

// relay is what a proxy command does (nc HOST PORT): it carries its
// standard input and output to a TCP connection until either side ends.
func relay(addr string) int {
	c, err := net.Dial("tcp", addr)
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
