// Command sockloop is the floor bench/fleet.sh measures sshpin probe
// against: per target, connect, send a version line, read the server's
// version line and one binary packet (its KEXINIT), close. No parsing, no
// crypto, no report: what a loop over sockets costs and nothing more.
//
//	sockloop -c 64 -timeout 5s -f list      (host or host:port per line)
//
// It prints one summary line: targets, answered, failed, seconds, rate.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	file := flag.String("f", "", "target list, host or host:port per line")
	conc := flag.Int("c", 64, "targets at once")
	timeout := flag.Duration("timeout", 5*time.Second, "deadline per target")
	flag.Parse()
	f, err := os.Open(*file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	start := time.Now()
	var ok, failed atomic.Int64
	sem := make(chan struct{}, *conc)
	var wg sync.WaitGroup
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, err := net.SplitHostPort(line); err != nil {
			line = net.JoinHostPort(line, "22")
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(addr string) {
			defer func() { <-sem; wg.Done() }()
			if err := hello(addr, *timeout); err != nil {
				failed.Add(1)
				return
			}
			ok.Add(1)
		}(line)
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	n := ok.Load() + failed.Load()
	fmt.Printf("targets %d answered %d failed %d seconds %.3f rate %.1f/s\n", n, ok.Load(), failed.Load(), el, float64(n)/el)
}

func hello(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("SSH-2.0-sockloop\r\n")); err != nil {
		return err
	}
	r := bufio.NewReaderSize(c, 4096)
	for { // lines before the version line are allowed (RFC 4253 §4.2)
		l, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(l, "SSH-") {
			break
		}
	}
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return err
	}
	if n > 35000 {
		return errors.New("packet too long")
	}
	_, err = io.CopyN(io.Discard, r, int64(n))
	return err
}
