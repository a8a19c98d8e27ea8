package sshdial

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/sshpin/sshpin/internal/guard"
)

// maxPasswordPrompts is ssh's NumberOfPasswordPrompts default, shared by
// the password and keyboard-interactive methods so that a user is asked
// three times in all, not three times per method.
const maxPasswordPrompts = 3

// credentials hands x/crypto its auth methods. Every callback runs only
// after the host key check passed, which is why secrets are fetched here
// and not before dialling.
type credentials struct {
	auth       Auth
	keys       []*keyFile
	g          *guard.Guard
	events     func(Event)
	user, addr string
	// unlocked are the keys decrypted so far by path, shared by the hosts
	// of one Dial: a passphrase is asked once, not once per jump host.
	unlocked map[string]ssh.Signer

	agentConn net.Conn
	nKeys     int  // keys offered
	prompts   int  // passwords asked for
	offered   bool // the publickey method ran
	// passErr is why no password is offered any more: the password
	// source's error ("the password in $SSHPIN_PASSWORD was refused", an
	// interrupted prompt), or the server refused every one it may ask for.
	// It ends authentication (see next), and is what an AuthError says.
	passErr error
	// round is what the running publickey round offers; resume, the keys
	// after a lazily offered one that could not be decrypted, for the
	// next round (see next).
	round, resume []ssh.Signer
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
			if s := c.unlocked[k.path]; s != nil {
				k.signer = s
			}
		}
		switch {
		case k.signer != nil:
		case k.lazy:
			out = append(out, &lazySigner{c: c, k: k})
			continue
		default:
			s, err := c.decrypt(k)
			if err != nil {
				emit(c.events, Event{Kind: EventWarning, Message: keySkipped(k.path, err)})
				continue
			}
			k.signer = s
		}
		out = append(out, k.signer)
	}
	if sock := c.auth.AgentSocket; sock != "" {
		ss, err := c.agentSigners(sock)
		if err != nil {
			emit(c.events, Event{Kind: EventWarning, Message: fmt.Sprintf("ssh-agent at %s: %v; its keys are not offered", sock, err)})
		}
		// A key the agent holds needs no passphrase: its file's copy
		// would only cost a prompt.
		out = slices.DeleteFunc(out, func(s ssh.Signer) bool {
			l, ok := s.(*lazySigner)
			return ok && slices.ContainsFunc(ss, func(a ssh.Signer) bool { return sameKey(a.PublicKey(), l.k.pub) })
		})
		out = append(out, ss...)
	}
	c.nKeys = len(out)
	c.round = out
	return out, nil
}

// errNoPassphrase: the passphrase given was empty, which ssh takes as the
// user's way to skip a key.
var errNoPassphrase = errors.New("no passphrase given")

func (c *credentials) decrypt(k *keyFile) (ssh.Signer, error) {
	if c.auth.Passphrase == nil {
		return nil, errors.New("encrypted, and no passphrase source")
	}
	var pass []byte
	var err error
	c.g.Pause(func() { pass, err = c.auth.Passphrase(k.path) })
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, errNoPassphrase
	}
	s, err := ssh.ParsePrivateKeyWithPassphrase(k.raw, pass)
	clear(pass)
	if err != nil {
		return nil, decryptError(k.path, err)
	}
	if c.unlocked != nil {
		c.unlocked[k.path] = s
	}
	return s, nil
}

// unlock decrypts a lazily offered key once the server accepted it. When
// it cannot, x/crypto gives up the whole publickey round on the signing
// error, so the keys after this one are kept for a round of their own.
func (c *credentials) unlock(l *lazySigner) error {
	s, err := c.decrypt(l.k)
	if err == nil && !sameKey(s.PublicKey(), l.k.pub) {
		err = fmt.Errorf("the private key does not match the public key %s.pub", l.k.path)
	}
	if c.agentConn != nil {
		// The prompt may have outlasted the agent connection's deadline,
		// and the agent may still have to sign.
		c.agentConn.SetDeadline(time.Now().Add(c.g.Timeout()))
	}
	if err != nil {
		if !errors.Is(err, errNoPassphrase) {
			emit(c.events, Event{Kind: EventWarning, Message: keySkipped(l.k.path, err)})
		}
		if i := slices.Index(c.round, ssh.Signer(l)); i >= 0 && i+1 < len(c.round) {
			c.resume = c.round[i+1:]
		}
		return err
	}
	l.k.signer = s
	return nil
}

// next is x/crypto's AuthCallback, asked before every authentication
// attempt: after a lazily offered key could not be decrypted it runs one
// more publickey round with the keys after it; otherwise x/crypto goes on
// with the methods it has not tried.
//
// Once the password source gave up, or the server refused as many
// passwords as may be asked, authentication ends there with that reason.
// The other password method (keyboard-interactive after password) would
// only ask the same source again, and x/crypto would report its failure
// instead: an OpenSSH server without a keyboard-interactive device
// refuses that method at once, which x/crypto calls "unexpected message
// type 51 (expected 60)".
func (c *credentials) next(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
	if c.resume == nil {
		if c.passErr == nil && c.prompts >= maxPasswordPrompts && len(ctx.PartialSuccessMethods) == 0 {
			c.passErr = fmt.Errorf("the server refused the password (%d attempts)", c.prompts)
		}
		return nil, c.passErr
	}
	c.round, c.resume = c.resume, nil
	round := c.round
	return ssh.PublicKeysCallback(func() ([]ssh.Signer, error) { return round, nil }), nil
}

func sameKey(a, b ssh.PublicKey) bool { return bytes.Equal(a.Marshal(), b.Marshal()) }

// lazySigner offers an encrypted key by its public key alone and asks for
// the passphrase at the first signature, which x/crypto makes only after
// the server said it would accept the key (SSH_MSG_USERAUTH_PK_OK): a
// server that would not never causes a prompt.
type lazySigner struct {
	c *credentials
	k *keyFile
}

func (l *lazySigner) PublicKey() ssh.PublicKey { return l.k.pub }

func (l *lazySigner) Sign(rand io.Reader, data []byte) (*ssh.Signature, error) {
	return l.SignWithAlgorithm(rand, data, "")
}

func (l *lazySigner) SignWithAlgorithm(rand io.Reader, data []byte, algorithm string) (*ssh.Signature, error) {
	if l.k.signer == nil {
		if err := l.c.unlock(l); err != nil {
			return nil, err
		}
	}
	if as, ok := l.k.signer.(ssh.AlgorithmSigner); ok {
		return as.SignWithAlgorithm(rand, data, algorithm)
	}
	if algorithm != "" && algorithm != l.k.pub.Type() {
		return nil, fmt.Errorf("identity %s: cannot sign with %s", l.k.path, algorithm)
	}
	return l.k.signer.Sign(rand, data)
}

func (c *credentials) agentSigners(sock string) ([]ssh.Signer, error) {
	conn, err := net.DialTimeout("unix", sock, c.g.Timeout())
	if err != nil {
		return nil, err
	}
	// The agent signs later in the same handshake; the connection lives
	// until Dial returns, and a stuck agent cannot outlive the deadline.
	conn.SetDeadline(time.Now().Add(c.g.Timeout()))
	c.agentConn = conn
	return agent.NewClient(conn).Signers()
}

func (c *credentials) password() (string, error) {
	if c.passErr != nil {
		return "", c.passErr
	}
	c.prompts++
	if c.prompts > maxPasswordPrompts {
		c.passErr = fmt.Errorf("the server refused the password (%d attempts)", maxPasswordPrompts)
		return "", c.passErr
	}
	var pw string
	var err error
	c.g.Pause(func() { pw, err = c.auth.Password(c.user, c.addr, c.prompts) })
	if err != nil {
		c.passErr = err
	}
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
	return nil, fmt.Errorf("the server asks %d keyboard-interactive questions; only a single password prompt is supported", len(questions))
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
