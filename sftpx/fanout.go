package sftpx

import "context"

// treeFiles is how many files of a recursive transfer move at once over
// the one connection. A small file costs a handful of round trips and
// almost no bytes (a put into a directory it made: open, chmod, write,
// fsync, close, stat, rename; a get: open, fstat, two reads, close): one
// at a time, the connection mostly waits. Fewer in flight measured slower
// (bench/sftp.sh FILES=2000: 8 files took 1.5x as long as 32, 16 1.2x).
// Several at once, their requests overlap; pkg/sftp's client takes
// concurrent requests, and the uploads share one budget of bytes in flight
// (Client.inFlight), so large files move no more bytes at once than one
// does.
const treeFiles = 32

// fanout runs the files of a recursive transfer, up to treeFiles at once,
// and hands their Results to each in the order the walk met them, from
// the walk's goroutine: the output is the same as one file at a time.
//
// The walk itself stays in its goroutine, and in order: a directory is
// made before the files in it are started.
type fanout struct {
	ctx  context.Context
	each func(Result)

	done    chan numbered // the running files' Results
	running int
	next    int // the number of the Result each gets next
	seq     int // the number of the next Result
	ready   map[int]Result
}

type numbered struct {
	n int
	r Result
}

func newFanout(ctx context.Context, each func(Result)) *fanout {
	return &fanout{ctx: ctx, each: each, done: make(chan numbered, treeFiles), ready: map[int]Result{}}
}

// result is a Result the walk has at once (a failure, a skip): it is
// handed on once those before it are.
func (f *fanout) result(r Result) {
	f.ready[f.seq] = r
	f.seq++
	f.collect(false)
}

// run starts fn, a file's transfer, once fewer than treeFiles run; a
// cancellation meanwhile starts nothing, as the walk would have stopped.
func (f *fanout) run(fn func() Result) {
	f.collect(false)
	for f.running >= treeFiles {
		f.collect(true)
	}
	if f.ctx.Err() != nil {
		return
	}
	n := f.seq
	f.seq++
	f.running++
	go func() { f.done <- numbered{n, fn()} }()
}

// wait lets every running file finish, and hands on the last Results.
func (f *fanout) wait() {
	for f.running > 0 {
		f.collect(true)
	}
	f.deliver()
}

// collect takes the Results of the files that finished, waiting for one
// if block, and hands on those whose turn it is.
func (f *fanout) collect(block bool) {
	for {
		var d numbered
		if block {
			d = <-f.done
			block = false
		} else {
			select {
			case d = <-f.done:
			default:
				f.deliver()
				return
			}
		}
		f.running--
		f.ready[d.n] = d.r
	}
}

func (f *fanout) deliver() {
	for {
		r, ok := f.ready[f.next]
		if !ok {
			return
		}
		delete(f.ready, f.next)
		f.next++
		f.each(r)
	}
}
