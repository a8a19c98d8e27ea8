package scan

import (
	"context"

	"golang.org/x/sync/errgroup"

	"sshpin/target"
)

// Run calls do for every target with at most concurrency at once, and emit
// with each result as it is ready, from one goroutine at a time. A failed
// target is a result, not an error: it never cancels the others.
func Run(ctx context.Context, targets []target.Target, concurrency int,
	do func(context.Context, target.Target) *Result, emit func(i int, r *Result)) {
	if concurrency < 1 {
		concurrency = 1
	}
	results := make(chan indexed)
	var g errgroup.Group
	g.SetLimit(concurrency)
	go func() {
		for i, t := range targets {
			if ctx.Err() != nil {
				break
			}
			g.Go(func() error {
				results <- indexed{i, do(ctx, t)}
				return nil
			})
		}
		g.Wait()
		close(results)
	}()
	for r := range results {
		emit(r.i, r.r)
	}
}

type indexed struct {
	i int
	r *Result
}
