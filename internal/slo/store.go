package slo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is where the engine keeps its record: the control plane.
type Store interface {
	Pool() (*pgxpool.Pool, error)
}

// store writes the record on its own goroutine, in batches, so that an
// evaluation never waits for the control plane. A full queue drops (and
// counts) rather than blocks.
type store struct {
	src     Store
	log     *slog.Logger
	ch      chan write
	dropped atomic.Int64
	failing atomic.Bool
}

type write struct {
	sql  string
	args []any
}

func newStore(src Store, log *slog.Logger) *store {
	return &store{src: src, log: log, ch: make(chan write, 4096)}
}

func (st *store) enqueue(sql string, args ...any) {
	select {
	case st.ch <- write{sql, args}:
	default:
		st.dropped.Add(1)
	}
}

func (st *store) health() error {
	if st.failing.Load() {
		return errors.New("the slo engine cannot write its record to the control plane")
	}
	return nil
}

// run writes what is queued until ctx ends, then what is left (for up to
// five seconds). A batch in flight when ctx ends is finished, not
// cancelled: it may hold what Stop saved last.
func (st *store) run(ctx context.Context) {
	for {
		select {
		case w := <-st.ch:
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			st.flush(fctx, w)
			cancel()
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			for {
				select {
				case w := <-st.ch:
					st.flush(fctx, w)
				default:
					return
				}
			}
		}
	}
}

func (st *store) flush(ctx context.Context, first write) {
	b := &pgx.Batch{}
	b.Queue(first.sql, first.args...)
	for len(b.QueuedQueries) < 256 {
		select {
		case w := <-st.ch:
			b.Queue(w.sql, w.args...)
			continue
		default:
		}
		break
	}
	pool, err := st.src.Pool()
	if err == nil {
		err = pool.SendBatch(ctx, b).Close()
	}
	st.failing.Store(err != nil)
	if err != nil && ctx.Err() == nil {
		st.log.Error("writing the slo record", "writes", len(b.QueuedQueries), "err", err)
	}
}

// Entry is one line of the alert history.
type Entry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Alert     string    `json:"alert"`
	Objective string    `json:"objective"`
	Severity  string    `json:"severity"`
	// Kind is "transition", "notification", "ack", "escalation" or
	// "silence".
	Kind     string         `json:"kind"`
	From     string         `json:"from,omitempty"`
	To       string         `json:"to,omitempty"`
	Receiver string         `json:"receiver,omitempty"`
	Detail   map[string]any `json:"detail"`
}

func (st *store) record(e Entry) {
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	d, err := json.Marshal(e.Detail)
	if err != nil {
		d = []byte("{}")
	}
	st.enqueue(`insert into mobo.slo_history (at, alert, objective, severity, kind, from_state, to_state, receiver, detail)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.At, e.Alert, e.Objective, e.Severity, e.Kind, e.From, e.To, e.Receiver, string(d))
}

func (st *store) saveAlert(a Alert, at time.Time) {
	b, err := json.Marshal(a)
	if err != nil {
		return
	}
	st.enqueue(`insert into mobo.slo_alerts (id, state, updated_at) values ($1, $2, $3)
		on conflict (id) do update set state = excluded.state, updated_at = excluded.updated_at`, a.ID, string(b), at)
}

func (st *store) saveSample(objective string, s sample) {
	st.enqueue(`insert into mobo.slo_samples (objective, at, good, total) values ($1, $2, $3, $4) on conflict do nothing`,
		objective, time.Unix(0, s.t).UTC(), s.Good, s.Total)
}

// prune deletes history and silences older than before, and samples older
// than samplesBefore.
func (st *store) prune(before, samplesBefore time.Time) {
	st.enqueue(`delete from mobo.slo_history where at < $1`, before)
	st.enqueue(`delete from mobo.slo_silences where ends_at < $1`, before)
	st.enqueue(`delete from mobo.slo_samples where at < $1`, samplesBefore)
}

// HistoryFilter selects history entries.
type HistoryFilter struct {
	Alert string // "" for all
	Limit int    // default 100, at most 1000
}

// History reads the alert history, newest first.
func (e *Engine) History(ctx context.Context, f HistoryFilter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	pool, err := e.store.src.Pool()
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `select id, at, alert, objective, severity, kind, from_state, to_state, receiver, detail
		from mobo.slo_history where $1 = '' or alert = $1 order by at desc, id desc limit $2`, f.Alert, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("reading the slo history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var x Entry
		err := r.Scan(&x.ID, &x.At, &x.Alert, &x.Objective, &x.Severity, &x.Kind, &x.From, &x.To, &x.Receiver, &x.Detail)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the slo history: %w", err)
	}
	return out, nil
}

// load reads the alerts' states, the silences and the samples of the
// objectives' windows.
func (e *Engine) load(ctx context.Context) error {
	pool, err := e.store.src.Pool()
	if err != nil {
		return err
	}
	// the states of alerts no objective has any more go
	if _, err := pool.Exec(ctx, `delete from mobo.slo_alerts where not (id = any($1))`, e.order); err != nil {
		return fmt.Errorf("forgetting old alerts: %w", err)
	}
	var alerts []Alert
	rows, err := pool.Query(ctx, `select state from mobo.slo_alerts`)
	if err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	var raw []byte
	if _, err := pgx.ForEachRow(rows, []any{&raw}, func() error {
		var a Alert
		if json.Unmarshal(raw, &a) == nil {
			alerts = append(alerts, a)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("reading alerts: %w", err)
	}
	rows, err = pool.Query(ctx, `select id, objective, api, project, severity, starts_at, ends_at, created_by, comment, created_at
		from mobo.slo_silences order by created_at`)
	if err != nil {
		return fmt.Errorf("reading silences: %w", err)
	}
	silences, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*Silence, error) {
		var s Silence
		err := r.Scan(&s.ID, &s.Objective, &s.API, &s.Project, &s.Severity, &s.StartsAt, &s.EndsAt, &s.CreatedBy, &s.Comment, &s.CreatedAt)
		return &s, err
	})
	if err != nil {
		return fmt.Errorf("reading silences: %w", err)
	}
	samples := map[string][]sample{}
	since := e.now().Add(-e.coarseSpan)
	rows, err = pool.Query(ctx, `select objective, at, good, total from mobo.slo_samples where at >= $1 order by objective, at`, since)
	if err != nil {
		return fmt.Errorf("reading samples: %w", err)
	}
	var (
		name string
		at   time.Time
		s    sample
	)
	if _, err := pgx.ForEachRow(rows, []any{&name, &at, &s.Good, &s.Total}, func() error {
		s.t = at.UnixNano()
		samples[name] = append(samples[name], s)
		return nil
	}); err != nil {
		return fmt.Errorf("reading samples: %w", err)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range alerts {
		if cur, ok := e.alerts[a.ID]; ok && cur.State == StateInactive && cur.FiredAt.IsZero() {
			// the configuration still has it: take its state back, with
			// the configuration's description
			a.Objective, a.API, a.Project, a.Kind, a.Severity, a.Target = cur.Objective, cur.API, cur.Project, cur.Kind, cur.Severity, cur.Target
			*cur = a
		}
	}
	for _, s := range silences {
		e.silences[s.ID] = s
	}
	for _, o := range e.objs {
		for _, s := range samples[o.Name] {
			if l, ok := o.hist.coarse.last(); !ok || s.t > l.t {
				o.hist.coarse.push(s)
				o.acc = s.Counts
			}
		}
	}
	return nil
}
