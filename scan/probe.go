package scan

import (
	"context"

	"github.com/sshpin/sshpin/kexinit"
	"github.com/sshpin/sshpin/target"
)

// Probe reads t's hello over a raw socket, with no key exchange: one
// connection, and it works on servers no client can negotiate with.
func Probe(ctx context.Context, t target.Target, opts Options) *Result {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	r := &Result{Target: t}
	conn, err := kexinit.Dial(ctx, t.Host, t.Port)
	if err != nil {
		r.Err = err
		return r
	}
	defer conn.Close()
	r.Connections = 1
	r.Address = kexinit.AddrOf(conn)
	r.Hello, r.Err = kexinit.Probe(conn, opts.Limits)
	return r
}
