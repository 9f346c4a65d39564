package sentinel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/magflock/mobo/internal/sentinel/event"
)

// Store is where the sentinel keeps its record: the control plane.
type Store interface {
	Pool() (*pgxpool.Pool, error)
	// Follow calls sync at each (re)connection and changed for each
	// announcement on channel, until ctx ends.
	Follow(ctx context.Context, channel string, sync func(context.Context) error, changed func(ctx context.Context, payload string) error)
}

// store writes the forensic record on its own goroutine, in batches, so
// that the request path never waits for the control plane. A full queue
// drops (and counts) rather than blocks.
type store struct {
	src     Store
	log     *slog.Logger
	ch      chan write
	dropped *atomic.Int64
	failing atomic.Bool
}

type write struct {
	sql  string
	args []any
	done chan<- error // when set, told the write's outcome
}

const storeQueue = 4096

func newStore(src Store, log *slog.Logger, dropped *atomic.Int64) *store {
	return &store{src: src, log: log, ch: make(chan write, storeQueue), dropped: dropped}
}

func (st *store) enqueue(sql string, args ...any) {
	select {
	case st.ch <- write{sql: sql, args: args}:
	default:
		st.dropped.Add(1)
	}
}

// writeThrough queues a write behind those already queued (so that it
// lands after them: an unblock after its block) and waits for it.
func (st *store) writeThrough(ctx context.Context, sql string, args ...any) error {
	done := make(chan error, 1)
	select {
	case st.ch <- write{sql: sql, args: args, done: done}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (st *store) health() error {
	if st.failing.Load() {
		return errors.New("the sentinel cannot write its record to the control plane")
	}
	return nil
}

// run writes what is queued until ctx ends, then what is left (for up to
// five seconds). A batch in flight when ctx ends is finished, not
// cancelled: each runs on a context of its own, bounded in time.
func (st *store) run(ctx context.Context) {
	for {
		select {
		case w := <-st.ch:
			st.flushBounded(ctx, w, 30*time.Second)
		case <-ctx.Done():
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				select {
				case w := <-st.ch:
					st.flushBounded(ctx, w, time.Until(deadline))
				default:
					return
				}
			}
			return
		}
	}
}

func (st *store) flushBounded(ctx context.Context, w write, d time.Duration) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	defer cancel()
	st.flush(fctx, w)
}

// flush writes first and whatever else is queued, in one batch, and tells
// the writes that wait how it went.
func (st *store) flush(ctx context.Context, first write) {
	b := &pgx.Batch{}
	ws := []write{first}
	for len(ws) < 256 {
		select {
		case w := <-st.ch:
			ws = append(ws, w)
			continue
		default:
		}
		break
	}
	for _, w := range ws {
		if w.sql != "" {
			b.Queue(w.sql, w.args...)
		}
	}
	pool, err := st.src.Pool()
	if err == nil && b.Len() > 0 {
		err = pool.SendBatch(ctx, b).Close()
	}
	for _, w := range ws {
		if w.done != nil {
			w.done <- err
		}
	}
	st.failing.Store(err != nil)
	if err != nil && ctx.Err() == nil {
		st.log.Error("writing the sentinel's record", "writes", len(ws), "err", err)
	}
}

func subjectsOf(e *event.Event, f event.Finding) []string {
	var out []string
	for _, scope := range scopes {
		if s := subjectOf(scope, f, e); s != "" {
			out = append(out, scope+":"+s)
		}
	}
	return out
}

func (st *store) recordFinding(f event.Finding, e *event.Event, shadow bool, value string) {
	st.enqueue(`insert into mobo.sentinel_events (at, project, agent, label, reason, score, shadow, subjects, method, route, status, excerpt)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.Time, e.Project, f.Agent, f.Label, f.Reason, f.Score, shadow, subjectsOf(e, f), e.Method, e.Route, e.Status, value)
}

func (st *store) saveIncident(inc *Incident) {
	c := *inc
	var closed *time.Time
	if !c.Closed.IsZero() {
		closed = &c.Closed
	}
	st.enqueue(`insert into mobo.sentinel_incidents (id, scenario, labels, scope, subject, project, opened_at, last_at, closed_at, findings, actions, shadow, allowed, status)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		on conflict (id) do update set labels = excluded.labels, last_at = excluded.last_at, closed_at = excluded.closed_at,
			findings = excluded.findings, status = excluded.status`,
		c.ID, c.Scenario, c.Labels, c.Scope, c.Subject, c.Project, c.Opened, c.Last, closed, c.Findings, c.Actions, c.Shadow, c.Allowed, c.Status)
}

func (st *store) saveBlock(b Block) {
	st.enqueue(`insert into mobo.sentinel_blocks (scope, subject, until, reason, incident, offences, manual, created_at, step_up)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (scope, subject) do update set until = excluded.until, reason = excluded.reason,
			incident = excluded.incident, offences = excluded.offences, manual = excluded.manual, created_at = excluded.created_at,
			step_up = excluded.step_up`,
		b.Scope, b.Subject, b.Until, b.Reason, b.Incident, b.Offences, b.Manual, b.Created, b.StepUp)
}

// prune deletes events and closed incidents older than before, and blocks
// that ended before it (their offences are then forgotten).
func (st *store) prune(before time.Time) {
	st.enqueue(`delete from mobo.sentinel_events where at < $1`, before)
	st.enqueue(`delete from mobo.sentinel_incidents where status = 'closed' and last_at < $1`, before)
	st.enqueue(`delete from mobo.sentinel_blocks where until < $1`, before)
}

// channel announces changes of the sentinel's tables (by their name), made
// by any node or the CLI.
const channel = "mobo_sentinel"

// load brings this node up to date with the blocks, offences, allow-list
// and modes the control plane keeps: at start, and at each (re)connection
// of the follower.
func (s *Sentinel) load(ctx context.Context) error {
	for _, f := range []func(context.Context) error{s.loadBlocks, s.reloadAllow, s.loadModes} {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

// changed applies an announced change of table.
func (s *Sentinel) changed(ctx context.Context, table string) error {
	switch table {
	case "sentinel_blocks":
		return s.loadBlocks(ctx)
	case "sentinel_allow":
		return s.reloadAllow(ctx)
	case "sentinel_modes":
		return s.loadModes(ctx)
	}
	return nil
}

// loadBlocks applies the stored blocks: those in force are put, those
// lifted (ended early by an unblock) removed. A block this node made and
// has not written yet is kept: its row, once written, is announced too.
func (s *Sentinel) loadBlocks(ctx context.Context) error {
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `select scope, subject, until, reason, incident, offences, manual, created_at, step_up from mobo.sentinel_blocks`)
	if err != nil {
		return err
	}
	blocks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Block, error) {
		var b Block
		err := r.Scan(&b.Scope, &b.Subject, &b.Until, &b.Reason, &b.Incident, &b.Offences, &b.Manual, &b.Created, &b.StepUp)
		return b, err
	})
	if err != nil {
		return fmt.Errorf("reading blocks: %w", err)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	bs := s.blocks.Load().clone()
	for i := range blocks {
		b := blocks[i]
		hk := b.Scope + "\x00" + b.Subject
		s.history[hk] = max(s.history[hk], b.Offences)
		cur := bs.lookup(b.Scope, b.Subject, now)
		switch {
		case b.active(now):
			if t, ok := s.lifted[hk]; ok && !b.Created.After(t) {
				continue // lifted here; the row's update is on its way
			}
			if cur == nil || !cur.Until.After(b.Until) {
				bs.put(&b)
			}
		case cur != nil && !cur.Created.Truncate(time.Microsecond).After(b.Created): // PostgreSQL keeps µs
			bs.remove(b.Scope, b.Subject) // lifted
		}
	}
	s.blocks.Store(bs)
	return nil
}

func (s *Sentinel) loadModes(ctx context.Context) error {
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	modes, err := readModes(ctx, pool)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]Mode{"": s.cfg.Mode}
	for a, md := range s.cfg.Agents {
		m[a] = md
	}
	for a, md := range modes {
		m[a] = md
	}
	s.setModes(m)
	return nil
}

// AllowEntry is one allow-list entry kept in the control plane.
type AllowEntry struct {
	Scope   string    `json:"scope"` // "ip" (address or CIDR), "key", "user" or "route"
	Subject string    `json:"subject"`
	Note    string    `json:"note"`
	Created time.Time `json:"created_at"`
}

func readAllow(ctx context.Context, pool *pgxpool.Pool) ([]AllowEntry, error) {
	rows, err := pool.Query(ctx, `select scope, subject, note, created_at from mobo.sentinel_allow order by scope, subject`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AllowEntry, error) {
		var a AllowEntry
		err := r.Scan(&a.Scope, &a.Subject, &a.Note, &a.Created)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the allow-list: %w", err)
	}
	return out, nil
}

func readModes(ctx context.Context, pool *pgxpool.Pool) (map[string]Mode, error) {
	rows, err := pool.Query(ctx, `select agent, mode from mobo.sentinel_modes`)
	if err != nil {
		return nil, err
	}
	out := map[string]Mode{}
	var agent, mode string
	_, err = pgx.ForEachRow(rows, []any{&agent, &mode}, func() error {
		out[agent] = Mode(mode)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading modes: %w", err)
	}
	return out, nil
}

func mergeAllow(c AllowConfig, entries []AllowEntry) AllowConfig {
	c.IPs, c.Keys, c.Users, c.Routes = slices.Clip(c.IPs), slices.Clip(c.Keys), slices.Clip(c.Users), slices.Clip(c.Routes)
	for _, a := range entries {
		switch a.Scope {
		case ScopeIP:
			c.IPs = append(c.IPs, a.Subject)
		case ScopeKey:
			c.Keys = append(c.Keys, a.Subject)
		case ScopeUser:
			c.Users = append(c.Users, a.Subject)
		case "route":
			c.Routes = append(c.Routes, a.Subject)
		}
	}
	return c
}
