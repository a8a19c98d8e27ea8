//go:build !linux

package sftpx

import "os"

func startWriteback(*os.File, int64, int64) {}
