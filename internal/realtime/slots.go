package realtime

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A replication slot retains the WAL its consumer has not confirmed. The
// slot of a project whose capture is stopped (nobody subscribes, or mobo is
// down) would retain it forever; two bounds apply:
//
//   - mobo's own: every [Config.SlotCheckInterval], an inactive slot of a
//     known project that holds back more than [Config.MaxSlotWALMB] of WAL
//     is dropped (runSlotCheck);
//   - the managed cluster's max_slot_wal_keep_size, for when mobo is down:
//     PostgreSQL invalidates the slot ("lost"); the capture finds it so,
//     drops it and creates a new one (replaceLostSlot).
//
// Either way the changes committed meanwhile are not captured: the
// project's channels with postgres_changes are told with a system message
// (status "error"), and so are the channels that join within
// [Config.HoldWindow] after (their replay would be incomplete).

// lostMessage is the system message of a channel whose project lost changes.
const lostMessage = "Changes were lost: the project's replication slot was dropped after it held back too much WAL; changes committed while it was gone were not captured"

// runSlotCheck measures the slots of the known projects at each interval
// until ctx ends.
func (s *Server) runSlotCheck(ctx context.Context) {
	t := time.NewTicker(s.cfg.SlotCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.checkSlots(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("checking replication slots", "err", err)
			}
		}
	}
}

// checkSlots drops the inactive slots of known projects that hold back
// more than the bound, or that PostgreSQL invalidated. Slots are
// cluster-wide: one connection to a project database sees them all.
func (s *Server) checkSlots(ctx context.Context) error {
	bySlot := map[string]string{}
	var dbs []string
	for _, ref := range s.projects.Refs() {
		d, err := s.projects.Database(ref)
		if err != nil {
			continue
		}
		bySlot[SlotName(d)] = ref
		dbs = append(dbs, d)
	}
	var conn *pgx.Conn
	var err error
	for _, db := range dbs { // the first project database that answers
		if conn, err = pgx.Connect(ctx, s.dbs.ConnString(db)); err == nil {
			break
		}
	}
	if conn == nil {
		if err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
		return nil
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `select slot_name::text from pg_replication_slots
		where slot_name like 'mobo\_realtime\_%' and not active
		  and (wal_status = 'lost' or pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) > $1::int8 * 1048576)`,
		s.cfg.MaxSlotWALMB)
	if err != nil {
		return fmt.Errorf("measuring replication slots: %w", err)
	}
	over, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("measuring replication slots: %w", err)
	}
	for _, slot := range over {
		ref, ok := bySlot[slot]
		if !ok || s.captureWanted(ref) {
			continue // another mobo's, a deleted project's, or about to be decoded
		}
		if err := dropSlot(ctx, conn, slot); err != nil {
			return fmt.Errorf("dropping slot %s of project %q: %w", slot, ref, err)
		}
		s.log.Warn("dropped a replication slot that held back too much WAL; its changes are lost",
			"ref", ref, "slot", slot, "max_slot_wal_mb", s.cfg.MaxSlotWALMB)
		s.slotLost(ref)
	}
	return nil
}

// captureWanted reports whether project ref's capture runs here or is
// starting (its slot is then inactive for a moment, or between retries).
func (s *Server) captureWanted(ref string) bool {
	s.mu.Lock()
	var p *project
	if s.run != nil {
		p = s.run.projects[ref]
	}
	s.mu.Unlock()
	if p == nil {
		return false
	}
	p.capMu.Lock()
	defer p.capMu.Unlock()
	return p.want || p.users > 0
}

// slotLost records that project ref lost changes and tells its channels.
func (s *Server) slotLost(ref string) {
	now := time.Now()
	s.lostMu.Lock()
	if s.lostAt == nil {
		s.lostAt = map[string]time.Time{}
	}
	for r, at := range s.lostAt {
		if now.Sub(at) > s.cfg.HoldWindow {
			delete(s.lostAt, r)
		}
	}
	s.lostAt[ref] = now
	s.lostMu.Unlock()
	s.mu.Lock()
	var p *project
	if s.run != nil {
		p = s.run.projects[ref]
	}
	s.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for ch := range p.channels {
		if len(ch.pg) > 0 {
			ch.sock.system(ch, "error", evPGChanges, lostMessage)
		}
	}
}

// noticeLost tells a joining channel when its project lost changes within
// the hold window. It runs with the join reply, under p.mu.
func (p *project) noticeLost(ch *channel) {
	p.s.lostMu.Lock()
	at, ok := p.s.lostAt[p.ref]
	p.s.lostMu.Unlock()
	if ok && time.Since(at) <= p.s.cfg.HoldWindow {
		ch.sock.system(ch, "error", evPGChanges, lostMessage)
	}
}

// replaceLostSlot drops the slot when PostgreSQL invalidated it (past the
// cluster's max_slot_wal_keep_size), so that ensureSlot creates a new one.
func (p *project) replaceLostSlot(ctx context.Context, conn *pgx.Conn, slot string) error {
	var lost bool
	err := conn.QueryRow(ctx, "select coalesce(bool_or(wal_status = 'lost'), false) from pg_replication_slots where slot_name = $1", slot).Scan(&lost)
	if err != nil {
		return fmt.Errorf("checking replication slot %s: %w", slot, err)
	}
	if !lost {
		return nil
	}
	if err := dropSlot(ctx, conn, slot); err != nil {
		return fmt.Errorf("dropping invalidated replication slot %s: %w", slot, err)
	}
	p.s.log.Warn("replication slot invalidated by max_slot_wal_keep_size, replaced; its changes are lost", "ref", p.ref, "slot", slot)
	p.s.slotLost(p.ref)
	return nil
}
