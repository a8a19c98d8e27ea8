package sshdial

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The ProxyError behind the line: the exit status, whether the command
// had passed anything on, and its last line of standard error, which is
// still passed on to ProxyStderr.
func TestProxyCommandExitIsNamed(t *testing.T) {
	var stderr strings.Builder
	o := Options{Host: "127.0.0.1", Port: 22201, User: "u", Timeout: 5 * time.Second,
		ProxyCommand: `sh -c "printf 'first\\nlast words\\n' >&2; exit 4"`, ProxyStderr: &stderr}
	_, err := Dial(context.Background(), o)
	var pe *ProxyError
	var ce *ConnectError
	if !errors.As(err, &pe) || !errors.As(err, &ce) || ce.Addr != "127.0.0.1:22201" {
		t.Fatalf("Dial: %v, want a *ConnectError with a *ProxyError", err)
	}
	if pe.Status != 4 || pe.Started || pe.Stderr != "last words" {
		t.Errorf("ProxyError %+v", pe)
	}
	if stderr.String() != "first\nlast words\n" {
		t.Errorf("ProxyStderr got %q", stderr.String())
	}
	// A command that is still running when the deadline kills it is no
	// ProxyError: the timeout is the reason.
	o.ProxyCommand, o.Timeout = "sleep 100", 300*time.Millisecond
	_, err = Dial(context.Background(), o)
	if errors.As(err, &pe) || !errors.Is(err, ErrTimeout) {
		t.Errorf("Dial through sleep: %v, want a timeout", err)
	}
}
