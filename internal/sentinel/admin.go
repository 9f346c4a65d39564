package sentinel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotFound: no such incident or block.
var ErrNotFound = errors.New("not found")

// ErrInvalid wraps an operator's request the sentinel cannot take.
var ErrInvalid = errors.New("invalid")

// Stats are the sentinel's counters since start.
type Stats struct {
	Inspected int64 `json:"values_inspected"`
	Findings  int64 `json:"findings"`
	Refusals  int64 `json:"refusals"`
	Blocks    int64 `json:"blocks"`
	Active    int   `json:"active_blocks"`
	Open      int   `json:"open_incidents"`
	Dropped   int64 `json:"records_dropped"`
	Alerts    int64 `json:"alerts_sent"`
}

// Stats returns the counters.
func (s *Sentinel) Stats() Stats {
	s.mu.Lock()
	open := len(s.open)
	s.mu.Unlock()
	return Stats{
		Inspected: s.stats.inspected.Load(), Findings: s.stats.findings.Load(), Refusals: s.stats.refusals.Load(),
		Blocks: s.stats.blocked.Load(), Active: len(s.Blocks()), Open: open,
		Dropped: s.stats.dropped.Load() + s.alerts.dropped.Load(), Alerts: s.alerts.sent.Load(),
	}
}

// Blocks returns the blocks in force.
func (s *Sentinel) Blocks() []Block {
	now := s.now()
	var out []Block
	for _, b := range s.blocks.Load().all() {
		if b.active(now) {
			out = append(out, *b)
		}
	}
	slices.SortFunc(out, func(a, b Block) int { return a.Created.Compare(b.Created) })
	return out
}

// BlockManually blocks subject at scope for d on an operator's word.
func (s *Sentinel) BlockManually(scope, subject, reason string, d time.Duration) (Block, error) {
	subject, err := normalSubject(scope, subject)
	if err != nil {
		return Block{}, err
	}
	if d <= 0 {
		return Block{}, fmt.Errorf("%w: a block needs a positive duration", ErrInvalid)
	}
	if reason == "" {
		reason = "manual"
	}
	return s.block(Block{Scope: scope, Subject: subject, Reason: reason, Manual: true, Created: s.now()}, d), nil
}

// Unblock lifts the block on subject at scope, at once, and writes it
// through before returning.
func (s *Sentinel) Unblock(ctx context.Context, scope, subject string) error {
	subject, err := normalSubject(scope, subject)
	if err != nil {
		return err
	}
	s.mu.Lock()
	bs := s.blocks.Load().clone()
	found := bs.remove(scope, subject)
	s.blocks.Store(bs)
	s.lifted[scope+"\x00"+subject] = s.now()
	s.mu.Unlock()
	// Behind the block's own write, if it is still queued.
	err = s.store.writeThrough(ctx, `update mobo.sentinel_blocks set until = least(until, $3) where scope = $1 and subject = $2`, scope, subject, s.now())
	if err != nil {
		return fmt.Errorf("lifting a block: %w", err)
	}
	if !found {
		return ErrNotFound
	}
	s.publish("sentinel.unblock", Block{Scope: scope, Subject: subject})
	return nil
}

// normalSubject checks subject at scope and writes it as blocks name it.
func normalSubject(scope, subject string) (string, error) {
	switch scope {
	case ScopeIP:
		a, err := netip.ParseAddr(subject)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not an IP address", ErrInvalid, subject)
		}
		return a.Unmap().String(), nil
	case ScopeNet:
		p, err := netip.ParsePrefix(subject)
		if err != nil {
			return "", fmt.Errorf("%w: %q is not a CIDR", ErrInvalid, subject)
		}
		return p.Masked().String(), nil
	case ScopeKey, ScopeUser, ScopeSession, ScopeAccount:
		ref, id, ok := strings.Cut(subject, "/")
		if !ok || ref == "" || id == "" {
			return "", fmt.Errorf("%w: a %s is named <project ref>/<id>", ErrInvalid, scope)
		}
		if scope == ScopeAccount {
			id = strings.ToLower(id)
		}
		return ref + "/" + id, nil
	}
	return "", fmt.Errorf("%w: scope %q: want one of %v", ErrInvalid, scope, scopes)
}

// Allow adds an allow-list entry; blocks of the subject are lifted.
func (s *Sentinel) Allow(ctx context.Context, a AllowEntry) error {
	switch a.Scope {
	case ScopeIP:
		if _, err := parseAllowIPs([]string{a.Subject}); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	case ScopeKey, ScopeUser, "route":
		if a.Subject == "" {
			return fmt.Errorf("%w: an allow-list entry needs a subject", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: allow-list scope %q: want ip, key, user or route", ErrInvalid, a.Scope)
	}
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `insert into mobo.sentinel_allow (scope, subject, note) values ($1, $2, $3)
		on conflict (scope, subject) do update set note = excluded.note`, a.Scope, a.Subject, a.Note); err != nil {
		return fmt.Errorf("adding to the allow-list: %w", err)
	}
	if a.Scope == ScopeIP {
		if addr, err := netip.ParseAddr(a.Subject); err == nil {
			_ = s.Unblock(ctx, ScopeIP, addr.String()) // nothing to lift is fine
		}
	}
	return s.reloadAllow(ctx)
}

// Disallow removes an allow-list entry.
func (s *Sentinel) Disallow(ctx context.Context, scope, subject string) error {
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	tag, err := pool.Exec(ctx, `delete from mobo.sentinel_allow where scope = $1 and subject = $2`, scope, subject)
	if err != nil {
		return fmt.Errorf("removing from the allow-list: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return s.reloadAllow(ctx)
}

// AllowList returns the allow-list: the configuration's entries and the
// control plane's.
func (s *Sentinel) AllowList(ctx context.Context) ([]AllowEntry, error) {
	pool, err := s.store.src.Pool()
	if err != nil {
		return nil, err
	}
	out := make([]AllowEntry, 0)
	for _, ip := range s.cfgAllow.IPs {
		out = append(out, AllowEntry{Scope: ScopeIP, Subject: ip, Note: "config"})
	}
	for _, k := range s.cfgAllow.Keys {
		out = append(out, AllowEntry{Scope: ScopeKey, Subject: k, Note: "config"})
	}
	for _, u := range s.cfgAllow.Users {
		out = append(out, AllowEntry{Scope: ScopeUser, Subject: u, Note: "config"})
	}
	for _, r := range s.cfgAllow.Routes {
		out = append(out, AllowEntry{Scope: "route", Subject: r, Note: "config"})
	}
	db, err := readAllow(ctx, pool)
	return append(out, db...), err
}

func (s *Sentinel) reloadAllow(ctx context.Context) error {
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	db, err := readAllow(ctx, pool)
	if err != nil {
		return err
	}
	s.allow.Store(newAllowSet(mergeAllow(s.cfgAllow, db)))
	return nil
}

// Modes returns the sentinel's mode ("sentinel") and each agent's.
func (s *Sentinel) Modes() map[string]Mode {
	out := map[string]Mode{"sentinel": s.mode("")}
	for _, v := range s.values {
		out[v.Name] = s.mode(v.Name)
	}
	for _, a := range s.agents {
		out[a.Name()] = s.mode(a.Name())
	}
	return out
}

// SetMode sets agent's mode ("sentinel" for the whole sentinel), kept in
// the control plane.
func (s *Sentinel) SetMode(ctx context.Context, agent string, m Mode) error {
	if m == "" || !m.valid() {
		return fmt.Errorf("%w: mode %q: want enforce, shadow or off", ErrInvalid, m)
	}
	if _, known := s.Modes()[agent]; !known {
		return fmt.Errorf("%w: no agent %q", ErrNotFound, agent)
	}
	pool, err := s.store.src.Pool()
	if err != nil {
		return err
	}
	key := agent
	if agent == "sentinel" {
		key = ""
	}
	if _, err := pool.Exec(ctx, `insert into mobo.sentinel_modes (agent, mode) values ($1, $2)
		on conflict (agent) do update set mode = excluded.mode`, key, string(m)); err != nil {
		return fmt.Errorf("setting a mode: %w", err)
	}
	return s.loadModes(ctx)
}

// IncidentFilter selects incidents.
type IncidentFilter struct {
	Status  string // "open", "closed" or "" for both
	Project string
	Limit   int // default 50, at most 1000
}

// Incidents lists incidents, newest first.
func (s *Sentinel) Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	pool, err := s.store.src.Pool()
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	rows, err := pool.Query(ctx, `select id, scenario, labels, scope, subject, project, opened_at, last_at, coalesce(closed_at, 'epoch'),
			findings, actions, shadow, allowed, status
		from mobo.sentinel_incidents
		where ($1 = '' or status = $1) and ($2 = '' or project = $2)
		order by opened_at desc limit $3`, f.Status, f.Project, f.Limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("listing incidents: %w", err)
	}
	return out, nil
}

func scanIncident(r pgx.CollectableRow) (Incident, error) {
	var i Incident
	err := r.Scan(&i.ID, &i.Scenario, &i.Labels, &i.Scope, &i.Subject, &i.Project, &i.Opened, &i.Last, &i.Closed,
		&i.Findings, &i.Actions, &i.Shadow, &i.Allowed, &i.Status)
	if i.Closed.Equal(time.Unix(0, 0)) {
		i.Closed = time.Time{}
	}
	return i, err
}

// Record is one finding in the forensic record.
type Record struct {
	At      time.Time `json:"at"`
	Project string    `json:"project"`
	Agent   string    `json:"agent"`
	Label   string    `json:"label"`
	Reason  string    `json:"reason"`
	Score   float64   `json:"score"`
	Shadow  bool      `json:"shadow"`
	Method  string    `json:"method"`
	Route   string    `json:"route"`
	Status  int       `json:"status"`
	Excerpt string    `json:"excerpt,omitempty"`
}

// Incident returns an incident and its timeline: the findings against its
// subject from an hour before it opened until it closed.
func (s *Sentinel) Incident(ctx context.Context, id string) (Incident, []Record, error) {
	pool, err := s.store.src.Pool()
	if err != nil {
		return Incident{}, nil, err
	}
	rows, err := pool.Query(ctx, `select id, scenario, labels, scope, subject, project, opened_at, last_at, coalesce(closed_at, 'epoch'),
			findings, actions, shadow, allowed, status
		from mobo.sentinel_incidents where id = $1`, id)
	if err != nil {
		return Incident{}, nil, err
	}
	inc, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if errors.Is(err, pgx.ErrNoRows) {
		return Incident{}, nil, ErrNotFound
	}
	if err != nil {
		return Incident{}, nil, fmt.Errorf("reading incident %s: %w", id, err)
	}
	rows, err = pool.Query(ctx, `select at, project, agent, label, reason, score, shadow, method, route, status, excerpt
		from mobo.sentinel_events
		where subjects @> array[$1::text] and at >= $2::timestamptz - interval '1 hour' and ($3 = 'open' or at <= $4)
		order by at limit 1000`, inc.Scope+":"+inc.Subject, inc.Opened, inc.Status, inc.Closed)
	if err != nil {
		return Incident{}, nil, err
	}
	recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Record, error) {
		var x Record
		err := r.Scan(&x.At, &x.Project, &x.Agent, &x.Label, &x.Reason, &x.Score, &x.Shadow, &x.Method, &x.Route, &x.Status, &x.Excerpt)
		return x, err
	})
	if err != nil {
		return Incident{}, nil, fmt.Errorf("reading incident %s's timeline: %w", id, err)
	}
	return inc, recs, nil
}
