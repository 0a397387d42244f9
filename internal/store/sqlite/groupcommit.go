package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/medshield/medshield/internal/store/internal/sqldb"
)

// Group commit. Concurrent AppendEvents calls (one per agent upload) queue
// for the single writer anyway; the committer takes every batch waiting at
// that moment and commits them in one transaction, each inside its own
// savepoint so that a batch that fails is rolled back alone. One commit
// (and with synchronous=FULL one fsync) then serves many uploads, and each
// caller still gets its own all-or-nothing result only after the commit.

// maxGroupRows bounds one group transaction, so a burst never holds the
// writer (and the token, audit and heartbeat writes queued behind it) for
// long.
const maxGroupRows = 8192

var errClosed = errors.New("store is closed")

type appendReq struct {
	ctx  context.Context
	rows []sqldb.EventRow
	done chan appendRes // buffered: the committer never blocks on a caller
}

type appendRes struct {
	n   int
	err error
}

type committer struct {
	b    *backend
	reqs chan *appendReq
	quit chan struct{}
	wg   sync.WaitGroup
}

func newCommitter(b *backend) *committer {
	c := &committer{b: b, reqs: make(chan *appendReq), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// stop ends the loop after the group in progress; later appends fail.
func (c *committer) stop() {
	close(c.quit)
	c.wg.Wait()
}

// AppendRows queues rows for the next group and waits for its commit.
func (b *backend) AppendRows(ctx context.Context, rows []sqldb.EventRow) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	req := &appendReq{ctx: ctx, rows: rows, done: make(chan appendRes, 1)}
	select {
	case b.gc.reqs <- req:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-b.gc.quit:
		return 0, errClosed
	}
	// Once queued the batch may be committed at any moment, so wait for the
	// outcome rather than report a cancellation that might be false.
	res := <-req.done
	return res.n, res.err
}

func (c *committer) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case r := <-c.reqs:
			group, rows := []*appendReq{r}, len(r.rows)
		gather:
			for rows < maxGroupRows {
				select {
				case r := <-c.reqs:
					group = append(group, r)
					rows += len(r.rows)
				default:
					break gather
				}
			}
			c.commit(group)
		}
	}
}

func (c *committer) commit(group []*appendReq) {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- appendRes{err: err}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	res := make([]appendRes, len(live))
	// Not the callers' contexts: cancelling one of them would interrupt the
	// statement and roll back every batch of the group.
	ctx := context.Background()
	err := c.b.Write(ctx, func(q sqldb.Querier) error {
		if len(live) == 1 {
			n, err := c.b.InsertEvents(ctx, q, live[0].rows)
			res[0] = appendRes{n, err}
			return err
		}
		for i, r := range live {
			if _, err := q.Exec(ctx, "SAVEPOINT batch"); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			n, err := c.b.InsertEvents(ctx, q, r.rows)
			if err != nil {
				res[i] = appendRes{err: err}
				if _, rerr := q.Exec(ctx, "ROLLBACK TO batch"); rerr != nil {
					return fmt.Errorf("rollback to savepoint: %w", rerr)
				}
			} else {
				res[i] = appendRes{n: n}
			}
			if _, err := q.Exec(ctx, "RELEASE batch"); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, r := range live {
		switch {
		case err != nil && res[i].err == nil:
			r.done <- appendRes{err: err} // the commit failed: nothing stored
		default:
			r.done <- res[i]
		}
	}
}
