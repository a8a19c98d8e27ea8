//go:build unix

package sftpx

import "syscall"

const sigHangup = syscall.SIGHUP
