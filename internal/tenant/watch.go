package tenant

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several mobo nodes may serve one control plane, and the CLI may change a
// project with no server running: a node cannot assume that its own calls
// are the only changes. A trigger on mobo.projects (control plane migration
// 0004) announces each change of a project row on projectsChannel with the
// project's ref; every node listens and applies what changed (a new or
// deleted project, a pause, new limits, a rotated secret). Its own changes
// come back too and are then no-ops. While the listener reconnects, changes
// may be missed: each (re)connection compares every project.

// projectsChannel is the control plane's channel of project changes.
const projectsChannel = "mobo_projects"

// watchBackoff bounds the wait between listener reconnections.
const (
	watchBackoffMin = 100 * time.Millisecond
	watchBackoffMax = 10 * time.Second
)

// watchProjects follows the control plane's project changes until ctx ends.
func (m *Manager) watchProjects(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() {
		backoff := watchBackoffMin
		for {
			connected, err := m.listenProjects(ctx)
			if ctx.Err() != nil {
				return
			}
			if connected {
				backoff = watchBackoffMin
			}
			m.log.Warn("following project changes; reconnecting", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, watchBackoffMax)
		}
	})
}

// listenProjects listens on projectsChannel, brings every project up to
// date, then applies each announced change until the connection fails.
// connected reports whether it got as far as listening.
func (m *Manager) listenProjects(ctx context.Context) (connected bool, err error) {
	pool, err := m.cp.Pool()
	if err != nil {
		return false, err
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		return false, fmt.Errorf("connecting to the control plane: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "listen "+projectsChannel); err != nil {
		return false, err
	}
	if err := m.refreshAll(ctx); err != nil {
		m.log.Warn("bringing projects up to date", "err", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		m.refresh(ctx, n.Payload)
	}
}

// refresh applies the stored state of project ref.
func (m *Manager) refresh(ctx context.Context, ref string) {
	cur, err := m.load(ctx, ref)
	if errors.Is(err, ErrNoProject) {
		cur, err = nil, nil
	}
	if err != nil {
		m.log.Warn("reading a changed project", "ref", ref, "err", err)
		return
	}
	m.apply(ctx, ref, cur)
}

// refreshAll applies the stored state of every project, and forgets those
// no longer stored.
func (m *Manager) refreshAll(ctx context.Context) error {
	list, err := m.List(ctx)
	if err != nil {
		return err
	}
	stored := make(map[string]bool, len(list))
	for _, p := range list {
		stored[p.Ref] = true
		m.apply(ctx, p.Ref, p)
	}
	for _, ref := range m.Refs() {
		if !stored[ref] {
			m.apply(ctx, ref, nil)
		}
	}
	return nil
}

// apply brings this node's view of project ref to cur, its stored state
// (nil: deleted), and acts on the differences.
func (m *Manager) apply(ctx context.Context, ref string, cur *Project) {
	m.mu.RLock()
	old := m.projects[ref]
	m.mu.RUnlock()
	switch {
	case cur == nil || cur.Status == StatusDeleting:
		if old == nil {
			return
		}
		m.mu.Lock()
		if cur == nil {
			delete(m.projects, ref)
		} else {
			m.projects[ref] = cur
		}
		m.mu.Unlock()
		m.release(ref)
		m.projectChanged(ctx, ref)
		m.log.Info("project deleted elsewhere", "ref", ref)
	case cur.Status == StatusCreating:
		// The creating node (or a restart) finishes it; the row turns
		// active once the database is ready.
	case old == nil:
		p := cur
		if cur.Status == StatusActive {
			// As a start does: set up this node's components for it.
			var err error
			if p, err = m.ensure(ctx, ref, cur.Name, cur.Database, ""); err != nil {
				m.log.Warn("setting up a project created elsewhere", "ref", ref, "err", err)
				return
			}
		}
		m.mu.Lock()
		if m.projects[ref] == nil {
			m.projects[ref] = p
		}
		m.mu.Unlock()
	default:
		m.mu.Lock()
		m.projects[ref] = cur
		m.mu.Unlock()
		if old.Status == StatusActive && cur.Status != StatusActive {
			m.release(ref)
		}
		if old.Limits != cur.Limits {
			m.closePool(ref) // reopened with the new limits at next use
		}
		if old.JWTSecret != cur.JWTSecret || old.authSettings != cur.authSettings {
			m.projectChanged(ctx, ref)
		}
	}
}

// projectChanged runs the change hooks of project ref; failures are logged.
func (m *Manager) projectChanged(ctx context.Context, ref string) {
	for _, h := range m.changeHooks {
		if err := h.fn(ctx, ref); err != nil {
			m.log.Error("dropping state derived from a project's old settings", "ref", ref, "hook", h.name, "err", err)
		}
	}
}
