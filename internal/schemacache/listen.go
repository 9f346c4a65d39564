package schemacache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// reloadChannel and reloadPayload are PostgREST's: NOTIFY pgrst, 'reload
// schema' (an empty payload reloads too).
const (
	reloadChannel = "pgrst"
	reloadPayload = "reload schema"
)

// errIdle ends a listener whose project had no use for a while, and
// errEvicted one whose connection the platform took back for a pool: the
// next use starts it again.
var (
	errIdle    = errors.New("project idle")
	errEvicted = errors.New("connection budget short")
)

// listen keeps a dedicated connection LISTENing on pgrst and reloads the
// snapshot on each notification, reconnecting with backoff.
func (s *Store) listen(ctx context.Context, e *entry) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, e, func() { backoff = 100 * time.Millisecond })
		switch {
		case errors.Is(err, errEvicted):
			e.evicted.Store(true)
			return
		case errors.Is(err, errIdle):
			s.forget(e)
			return
		case ctx.Err() != nil:
			return
		}
		s.log.Warn("schema listener lost its connection", "ref", e.ref, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
		if time.Since(e.lastUse()) > s.opts.Idle {
			s.forget(e) // idle meanwhile: the next use loads it afresh
			return
		}
	}
}

// evictedOr is errEvicted when ctx ended because the connection was taken
// back, else err.
func evictedOr(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errEvicted) {
		return errEvicted
	}
	return err
}

// listenOnce runs one connection of e's listener until it fails, the
// project goes idle or the budget takes the connection back. A connection
// of its own, outside the pool: it is held for as long as the project is
// in use, in a slot of the cluster's connection budget.
func (s *Store) listenOnce(ctx context.Context, e *entry, connected func()) error {
	ctx, evict := context.WithCancelCause(ctx)
	defer evict(nil)
	if s.opts.Holder != nil {
		release, err := s.opts.Holder.HoldConnection(ctx, e.ref, e.lastUse, func() { evict(errEvicted) })
		if err != nil {
			return err
		}
		defer release() // after the connection is closed
	}
	pool, err := s.opts.Pools.Pool(ctx, e.ref)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return evictedOr(ctx, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+reloadChannel); err != nil {
		return err
	}
	connected()
	stopReloader := s.reloader(ctx, e)
	defer stopReloader()
	e.poke() // notifications sent while we were away are lost
	return s.wait(ctx, e, conn)
}

// reloader starts the goroutine that loads e's snapshot when kicked,
// coalescing bursts of notifications (a migration of many statements)
// into few loads. The returned function stops it and waits for it.
func (s *Store) reloader(ctx context.Context, e *entry) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-e.kick:
				if err := s.load(ctx, e); err != nil && ctx.Err() == nil {
					s.log.Warn("schema cache reload failed", "ref", e.ref, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// wait passes conn's notifications on to the reloader until the project has
// been idle for the idle time (errIdle) or the connection ends.
func (s *Store) wait(ctx context.Context, e *entry, conn *pgx.Conn) error {
	var idle atomic.Bool
	wctx, stopWait := context.WithCancel(ctx)
	defer stopWait()
	go func() {
		t := time.NewTicker(s.opts.Idle / 4)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
				if time.Since(e.lastUse()) > s.opts.Idle {
					idle.Store(true)
					stopWait()
					return
				}
			}
		}
	}()
	for {
		n, err := conn.WaitForNotification(wctx)
		if err != nil {
			if idle.Load() {
				return errIdle
			}
			return evictedOr(ctx, err)
		}
		if n.Payload == reloadPayload || n.Payload == "" {
			e.poke()
		}
	}
}
