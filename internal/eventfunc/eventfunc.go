// Package eventfunc holds the two helpers every reporter of events in
// sshpin's packages needs: a nil func means "no one listens", and the
// files of a recursive transfer report from goroutines of their own,
// while the caller's func is written for one at a time.
package eventfunc

import "sync"

// Serialized makes the calls of f one at a time, whatever goroutine makes
// them. A nil f stays nil, so that Emit still skips it cheaply.
func Serialized[E any](f func(E)) func(E) {
	if f == nil {
		return nil
	}
	var mu sync.Mutex
	return func(e E) {
		mu.Lock()
		defer mu.Unlock()
		f(e)
	}
}

// Emit calls f with e, unless f is nil.
func Emit[E any](f func(E), e E) {
	if f != nil {
		f(e)
	}
}
