//go:build unix

package scan

import "syscall"

// raiseFileLimit raises the soft limit on open files to the hard one and
// returns the soft limit in force. Go (1.19+) already does this when a
// program starts; doing it here as well keeps the cap on a run's concurrency
// honest whatever the runtime did, and gives it the number. When the
// kernel refuses (macOS refuses RLIM_INFINITY) the soft limit stays.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			l = raised
		}
	}
	return uint64(l.Cur), nil
}
