//go:build unix

package proxycmd

import "syscall"

const sigHangup = syscall.SIGHUP
