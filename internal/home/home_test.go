package home

import (
	"errors"
	"testing"
)

func TestDir(t *testing.T) {
	for _, tc := range []struct {
		home, want string
		err        error
	}{
		{home: "/home/u", want: "/home/u"},
		{home: "", err: ErrUnknown},
		{home: "rel/dir", err: ErrUnknown},
		{home: "~", err: ErrUnknown},
	} {
		t.Setenv("HOME", tc.home)
		got, err := Dir()
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("HOME=%q: Dir() = %q, %v; want %q, %v", tc.home, got, err, tc.want, tc.err)
		}
	}
}
