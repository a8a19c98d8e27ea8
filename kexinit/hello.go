package kexinit

import (
	"bufio"
	"io"
)

// Hello is what a server says before any key exchange.
type Hello struct {
	Banner        Banner   // its version line
	Preamble      []string // the first lines it sent before the version line
	PreambleLines int      // how many such lines there were in all
	Skipped       int      // IGNORE/DEBUG packets before its KEXINIT
	KexInit       *KexInit
	Payload       []byte // the KEXINIT payload as received, for recording
}

// ReadHello reads a server's version line and first KEXINIT from r. It reads
// until it has both or hits a bound in lim; a deadline is the caller's to set
// on the connection.
func ReadHello(r io.Reader, lim Limits) (*Hello, error) {
	lim = lim.orDefault()
	br := bufio.NewReaderSize(r, 4096)
	banner, preamble, lines, received, err := readBanner(br, lim)
	h := &Hello{Banner: banner, Preamble: preamble, PreambleLines: lines}
	if err != nil {
		return nil, err
	}
	s := &packetScanner{lim: lim}
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			done, ferr := s.feed(buf[:n])
			if ferr != nil {
				return nil, ferr
			}
			if done {
				h.KexInit, h.Payload, h.Skipped = s.kex, s.payload, s.skipped
				return h, nil
			}
		}
		if err != nil {
			return nil, classify(err, "kexinit", received+s.received)
		}
	}
}
