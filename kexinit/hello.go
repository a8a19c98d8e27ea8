package kexinit

import (
	"bufio"
	"bytes"
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
	h, _, err := readHello(r, lim)
	return h, err
}

// readHello is ReadHello that also returns a reader positioned just after
// the KEXINIT, for a caller that goes on into the key exchange (the group
// exchange read): the bytes buffered past the KEXINIT are not lost.
func readHello(r io.Reader, lim Limits) (*Hello, io.Reader, error) {
	lim = lim.orDefault()
	br := bufio.NewReaderSize(r, 4096)
	banner, preamble, lines, received, err := readBanner(br, lim)
	h := &Hello{Banner: banner, Preamble: preamble, PreambleLines: lines}
	if err != nil {
		return nil, nil, err
	}
	s := &packetScanner{lim: lim}
	buf := make([]byte, 4096)
	for {
		n, err := br.Read(buf)
		if n > 0 {
			done, ferr := s.feed(buf[:n])
			if ferr != nil {
				return nil, nil, ferr
			}
			if done {
				h.KexInit, h.Payload, h.Skipped = s.kex, s.payload, s.skipped
				return h, io.MultiReader(bytes.NewReader(s.rest), br), nil
			}
		}
		if err != nil {
			return nil, nil, classify(err, "kexinit", received+s.received)
		}
	}
}
