package sshdial

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A wrong passphrase is a PassphraseError naming the key, x/crypto's
// error still inside; any other failure is a KeyFileError, and a warning
// about either names the key once.
func TestDecryptErrorWrongPassphrase(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("sesame"))
	if err != nil {
		t.Fatal(err)
	}
	raw := pem.EncodeToMemory(block)
	for _, tc := range []struct {
		name, pass string
		wrong      bool
	}{
		{"wrong", "open", true},
		{"right", "sesame", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ssh.ParsePrivateKeyWithPassphrase(raw, []byte(tc.pass))
			if (err != nil) != tc.wrong {
				t.Fatalf("ParsePrivateKeyWithPassphrase: %v", err)
			}
			if !tc.wrong {
				return
			}
			err = decryptError("/k/id", err)
			var pe *PassphraseError
			if !errors.As(err, &pe) || pe.Path != "/k/id" || err.Error() != "key /k/id: wrong passphrase" || !errors.Is(err, x509.IncorrectPasswordError) {
				t.Errorf("decryptError: %q, want a PassphraseError: key /k/id: wrong passphrase, wrapping x509.IncorrectPasswordError", err)
			}
			if w := keySkipped("/k/id", err); w != "key /k/id: wrong passphrase; key skipped" {
				t.Errorf("warning %q", w)
			}
		})
	}
	if err := decryptError("/k/id", errors.New("bad")); err.Error() != "sshdial: identity /k/id: cannot decrypt: bad" {
		t.Errorf("another failure: %q", err)
	}
}

func TestKeySkipped(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("$X is set but empty"), "sshdial: identity /k: $X is set but empty; key skipped"},
		{&KeyFileError{Path: "/k", Err: errors.New("bad")}, "sshdial: identity /k: bad; key skipped"},
		{&PassphraseError{Path: "/k", Err: x509.IncorrectPasswordError}, "key /k: wrong passphrase; key skipped"},
	} {
		if got := keySkipped("/k", tc.err); got != tc.want {
			t.Errorf("keySkipped(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
