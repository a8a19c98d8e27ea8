package eventfunc

import (
	"sync"
	"testing"
)

func TestNilStaysNil(t *testing.T) {
	if Serialized[int](nil) != nil {
		t.Fatal("Serialized(nil) is not nil")
	}
	Emit[int](nil, 1) // must not panic
}

// The func given to Serialized counts without a lock of its own: under
// -race, two calls at once would be reported, and the count would be short.
func TestSerializedOneAtATime(t *testing.T) {
	n := 0
	f := Serialized(func(d int) { n += d })
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { Emit(f, 1) })
	}
	wg.Wait()
	if n != 50 {
		t.Fatalf("n = %d, want 50", n)
	}
}
