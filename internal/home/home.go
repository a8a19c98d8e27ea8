// Package home is sshpin's one rule for the user's home directory, shared
// by the known_hosts defaults and ssh_config(5) reading.
//
// The home directory is $HOME, and only when it is an absolute path. Any
// other answer is an error the caller sees: a relative $HOME would name
// files relative to wherever the program runs, and "/" would read (or, for
// trust on first use, write) files the user never named. os.UserHomeDir
// alone is not enough: it accepts a relative $HOME. ssh resolves "~" the
// same way for the files it is told of; where it cannot, it fails rather
// than guess, and so does this.
package home

import (
	"errors"
	"os"
	"path/filepath"
)

// ErrUnknown is returned when $HOME is unset or not an absolute path.
var ErrUnknown = errors.New("$HOME is not set to an absolute path")

// Dir returns the home directory, or ErrUnknown.
func Dir() (string, error) {
	h := os.Getenv("HOME")
	if h == "" || !filepath.IsAbs(h) {
		return "", ErrUnknown
	}
	return h, nil
}
