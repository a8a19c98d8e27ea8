package sshdial

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sshpin/sshpin/internal/nbopen"
)

// keyFile is an identity file read before dialling.
type keyFile struct {
	path   string
	raw    []byte
	signer ssh.Signer    // nil while encrypted
	pub    ssh.PublicKey // an encrypted key's, when the file or a .pub file says
	// lazy: offered by pub alone, and decrypted only once the server
	// accepts it (ssh's default identities).
	lazy bool
}

// maxKeyFile bounds an identity file: the largest OpenSSH key (RSA 16384)
// is under 13 KiB.
const maxKeyFile = 1 << 20

// readKeyFile reads an identity (or .pub) file, bounded in size, and in
// time when it is no regular file: a FIFO or a pipe (-i <(...)) is read as
// ssh reads one, but a writer that never writes cannot hold the run past
// timeout, and one with no writer opens at once (O_NONBLOCK) and reads as
// empty instead of blocking the open.
func readKeyFile(p string, timeout time.Duration) ([]byte, error) {
	f, err := nbopen.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, errors.New("is a directory")
	case st.Mode().IsRegular():
		if err := nbopen.Blocking(f); err != nil {
			return nil, err
		}
	default:
		f.SetReadDeadline(time.Now().Add(timeout)) // pipes and FIFOs are pollable
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("%w: nothing came to read within %s", ErrTimeout, timeout)
	case err != nil:
		return nil, err
	case len(b) > maxKeyFile:
		return nil, fmt.Errorf("larger than %d MiB: no key file", maxKeyFile>>20)
	}
	return b, nil
}

// loadKeyFiles reads every identity file now, so that a typo fails before
// a connection is made; encrypted keys wait for the server to ask.
func loadKeyFiles(paths []string, timeout time.Duration) ([]*keyFile, error) {
	var out []*keyFile
	for _, p := range paths {
		raw, err := readKeyFile(p, timeout)
		if err != nil {
			return nil, &KeyFileError{Path: p, Err: err}
		}
		k := &keyFile{path: p, raw: raw}
		s, err := ssh.ParsePrivateKey(raw)
		var pme *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pme):
			k.pub = pme.PublicKey
		case err != nil:
			return nil, &KeyFileError{Path: p, Err: fmt.Errorf("not a private key in OpenSSH or PEM format: %w", err)}
		default:
			k.signer = s
		}
		out = append(out, k)
	}
	return out, nil
}

// loadOptionalKeyFiles reads the identity files that may be missing (the
// configuration's): a missing file is skipped quietly, as ssh does, and a
// file that is no private key with a warning.
func loadOptionalKeyFiles(paths []string, timeout time.Duration) (keys []*keyFile, warnings []string) {
	for _, p := range paths {
		ks, err := loadKeyFiles([]string{p}, timeout)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			warnings = append(warnings, strings.TrimPrefix(err.Error(), "sshdial: ")+"; key skipped")
		default:
			keys = append(keys, ks...)
		}
	}
	return keys, warnings
}

// loadDefaultKeyFiles reads ssh's default identities. The user never
// named them, so any that is missing or unusable is skipped quietly. An
// encrypted one is kept only with encrypted set, and only if its public
// key is known (an OpenSSH key file holds it unencrypted; for PEM, the
// .pub file beside it), for it is offered by that alone.
func loadDefaultKeyFiles(paths []string, encrypted bool, timeout time.Duration) []*keyFile {
	var keys []*keyFile
	for _, p := range paths {
		ks, err := loadKeyFiles([]string{p}, timeout)
		if err != nil {
			continue
		}
		k := ks[0]
		if k.signer == nil {
			if !encrypted {
				continue
			}
			if k.pub == nil {
				k.pub = readPublicKey(p+".pub", timeout)
			}
			if k.pub == nil {
				continue
			}
			k.lazy = true
		}
		keys = append(keys, k)
	}
	return keys
}

func readPublicKey(path string, timeout time.Duration) ssh.PublicKey {
	b, err := readKeyFile(path, timeout)
	if err != nil {
		return nil
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		return nil
	}
	return k
}
