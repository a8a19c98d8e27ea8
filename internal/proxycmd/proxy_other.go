//go:build !unix

package proxycmd

import "os"

var sigHangup = os.Kill
