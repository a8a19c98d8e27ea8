//go:build !unix

package sftpx

import "os"

var sigHangup = os.Kill
