package sftpx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// maxPasswordPrompts is ssh's NumberOfPasswordPrompts default, shared by
// the password and keyboard-interactive methods so that a user is asked
// three times in all, not three times per method.
const maxPasswordPrompts = 3

// keyFile is an identity file read before dialling.
type keyFile struct {
	path   string
	raw    []byte
	signer ssh.Signer // nil while encrypted
}

// loadKeyFiles reads every identity file now, so that a typo fails before
// a connection is made; encrypted keys wait for the server to ask.
func loadKeyFiles(paths []string) ([]*keyFile, error) {
	var out []*keyFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, &KeyFileError{Path: p, Err: err}
		}
		k := &keyFile{path: p, raw: raw}
		s, err := ssh.ParsePrivateKey(raw)
		var pme *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pme):
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
// configuration's, ssh's defaults): a missing file is skipped quietly, as
// ssh does, and a file that is no private key with a warning; with
// plainOnly, encrypted ones are skipped too.
func loadOptionalKeyFiles(paths []string, plainOnly bool) (keys []*keyFile, warnings []string) {
	for _, p := range paths {
		ks, err := loadKeyFiles([]string{p})
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			warnings = append(warnings, strings.TrimPrefix(err.Error(), "sftpx: ")+"; key skipped")
		case plainOnly && ks[0].signer == nil:
		default:
			keys = append(keys, ks...)
		}
	}
	return keys, warnings
}

// credentials hands x/crypto its auth methods. Every callback runs only
// after the host key check passed, which is why secrets are fetched here
// and not before dialling.
type credentials struct {
	auth       Auth
	keys       []*keyFile
	g          *guard
	events     func(Event)
	user, addr string

	agentConn net.Conn
	nKeys     int  // keys offered
	prompts   int  // passwords asked for
	offered   bool // the publickey method ran
}

// methods returns one publickey method for all keys: x/crypto tries each
// method name once, so a second publickey method would never run.
func (c *credentials) methods() []ssh.AuthMethod {
	var m []ssh.AuthMethod
	if len(c.keys) > 0 || c.auth.AgentSocket != "" {
		m = append(m, ssh.PublicKeysCallback(c.signers))
	}
	if c.auth.Password != nil {
		m = append(m,
			ssh.RetryableAuthMethod(ssh.PasswordCallback(c.password), maxPasswordPrompts),
			ssh.RetryableAuthMethod(ssh.KeyboardInteractive(c.challenge), maxPasswordPrompts))
	}
	return m
}

// signers returns the identity files' keys first (the user named them;
// an agent with many keys could use up the server's MaxAuthTries before
// them), then the agent's.
func (c *credentials) signers() ([]ssh.Signer, error) {
	c.offered = true
	var out []ssh.Signer
	for _, k := range c.keys {
		if k.signer == nil {
			s, err := c.decrypt(k)
			if err != nil {
				emit(c.events, Event{Kind: EventWarning, Message: (&KeyFileError{Path: k.path, Err: err}).Error() + "; key skipped"})
				continue
			}
			k.signer = s
		}
		out = append(out, k.signer)
	}
	if sock := c.auth.AgentSocket; sock != "" {
		ss, err := c.agentSigners(sock)
		if err != nil {
			emit(c.events, Event{Kind: EventWarning, Message: fmt.Sprintf("sftpx: ssh-agent at %s: %v; its keys are not offered", sock, err)})
		}
		out = append(out, ss...)
	}
	c.nKeys = len(out)
	return out, nil
}

func (c *credentials) decrypt(k *keyFile) (ssh.Signer, error) {
	if c.auth.Passphrase == nil {
		return nil, errors.New("encrypted, and no passphrase source")
	}
	var pass []byte
	var err error
	c.g.pause(func() { pass, err = c.auth.Passphrase(k.path) })
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKeyWithPassphrase(k.raw, pass)
	clear(pass)
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt (wrong passphrase?): %w", err)
	}
	return s, nil
}

func (c *credentials) agentSigners(sock string) ([]ssh.Signer, error) {
	conn, err := net.DialTimeout("unix", sock, c.g.timeout)
	if err != nil {
		return nil, err
	}
	// The agent signs later in the same handshake; the connection lives
	// until Dial returns, and a stuck agent cannot outlive the deadline.
	conn.SetDeadline(time.Now().Add(c.g.timeout))
	c.agentConn = conn
	return agent.NewClient(conn).Signers()
}

func (c *credentials) password() (string, error) {
	c.prompts++
	if c.prompts > maxPasswordPrompts {
		return "", errors.New("sftpx: too many password attempts")
	}
	var pw string
	var err error
	c.g.pause(func() { pw, err = c.auth.Password(c.user, c.addr, c.prompts) })
	return pw, err
}

// challenge answers keyboard-interactive the way a password prompt would:
// one question with echo off is the password; an empty round (servers send
// one to say "nothing more") needs no answer; anything else is refused
// rather than guessed.
func (c *credentials) challenge(_, _ string, questions []string, echos []bool) ([]string, error) {
	switch {
	case len(questions) == 0:
		return nil, nil
	case len(questions) == 1 && !echos[0]:
		pw, err := c.password()
		if err != nil {
			return nil, err
		}
		return []string{pw}, nil
	}
	return nil, fmt.Errorf("sftpx: the server asks %d keyboard-interactive questions; only a single password prompt is supported", len(questions))
}

// tried says what was offered, for an AuthError.
func (c *credentials) tried() []string {
	var t []string
	if c.offered {
		t = append(t, fmt.Sprintf("publickey (%d keys)", c.nKeys))
	}
	if c.prompts > 0 {
		t = append(t, "password")
	}
	return t
}

func (c *credentials) close() {
	if c.agentConn != nil {
		c.agentConn.Close()
	}
}
