package sshdial

import (
	"github.com/sshpin/sshpin/internal/dialhook"
	"github.com/sshpin/sshpin/internal/guard"
)

func init() {
	dialhook.Guard = func(c any) *guard.Guard { return c.(*Client).g }
	dialhook.ProxyEnded = func(c any, err error) error {
		if raw := c.(*Client).raw; raw != nil {
			return proxyEnded(raw, err)
		}
		return err
	}
}
