package sshdial

import (
	"crypto/x509"
	"errors"
	"fmt"
)

// PassphraseError is an encrypted identity file that the passphrase given
// does not decrypt. Err is x/crypto's error, x509.IncorrectPasswordError
// for OpenSSH and PEM keys alike, so errors.Is still finds it.
//
// Its message has no "sshdial: " of its own: it also ends an AuthError,
// after x/crypto's "ssh: handshake failed: ", when the key it names was
// the last one the server would have taken.
type PassphraseError struct {
	Path string
	Err  error
}

func (e *PassphraseError) Error() string {
	return fmt.Sprintf("key %s: wrong passphrase", e.Path)
}

func (e *PassphraseError) Unwrap() error { return e.Err }

// decryptError is what decrypt makes of x/crypto's failure for the key
// at path: a wrong passphrase typed as such, anything else as it came.
func decryptError(path string, err error) error {
	if errors.Is(err, x509.IncorrectPasswordError) {
		return &PassphraseError{Path: path, Err: err}
	}
	return &KeyFileError{Path: path, Err: fmt.Errorf("cannot decrypt: %w", err)}
}

// keySkipped is the warning for a key that could not be used: err names
// the key itself when it is a PassphraseError or a KeyFileError.
func keySkipped(path string, err error) string {
	var pe *PassphraseError
	var ke *KeyFileError
	if !errors.As(err, &pe) && !errors.As(err, &ke) {
		err = &KeyFileError{Path: path, Err: err}
	}
	return err.Error() + "; key skipped"
}
