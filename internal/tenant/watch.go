package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// A trigger on mobo.projects (control plane migration 0004) announces each
// change of a project row on projectsChannel with the project's ref; every
// node follows it ([ControlPlane.Follow]) and applies what changed (a new
// or deleted project, a pause, new limits, a rotated secret). Its own
// changes come back too and are then no-ops. Each (re)connection compares
// every project.

// watcher follows the project changes that the control plane announces,
// from one goroutine of the Manager's, and applies them to this node: to
// the catalogue, the connections and, through the change hooks, the
// components.
type watcher struct {
	cp       ControlPlane
	store    *store
	projects *Projects
	conns    *Connections
	changes  *changes
	log      *slog.Logger
}

// projectsChannel is the control plane's channel of project changes.
const projectsChannel = "mobo_projects"

// run follows the control plane's project changes until ctx ends.
func (w *watcher) run(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() {
		w.cp.Follow(ctx, projectsChannel, w.refreshAll, w.refresh)
	})
}

// refresh applies the stored state of project ref.
func (w *watcher) refresh(ctx context.Context, ref string) error {
	cur, err := w.store.load(ctx, ref)
	if errors.Is(err, ErrNoProject) {
		cur, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("reading changed project %q: %w", ref, err)
	}
	w.apply(ctx, ref, cur)
	return nil
}

// refreshAll applies the stored state of every project, and forgets those
// no longer stored.
func (w *watcher) refreshAll(ctx context.Context) error {
	list, err := w.store.list(ctx)
	if err != nil {
		return err
	}
	stored := make(map[string]bool, len(list))
	for _, p := range list {
		stored[p.Ref] = true
		w.apply(ctx, p.Ref, p)
	}
	for _, ref := range w.projects.Refs() {
		if !stored[ref] {
			w.apply(ctx, ref, nil)
		}
	}
	return nil
}

// apply brings this node's view of project ref to cur, its stored state
// (nil: deleted), and acts on the differences.
func (w *watcher) apply(ctx context.Context, ref string, cur *Project) {
	old := w.projects.lookup(ref)
	switch {
	case cur == nil || cur.Status == StatusDeleting:
		if old == nil {
			return
		}
		if cur == nil {
			w.projects.remove(ref)
		} else {
			w.projects.put(cur)
		}
		w.conns.release(ref)
		w.changes.notify(ctx, ref)
		w.log.Info("project deleted elsewhere", "ref", ref)
	case cur.Status == StatusCreating:
		// The creating node (or a restart) finishes it; the row turns
		// active once the database is ready.
	case old == nil:
		// Made elsewhere, with its database set up there (the setup is the
		// database's, not the node's): this node only needs to know it.
		w.projects.edit(ref, func(stored *Project) *Project {
			if stored != nil {
				return nil
			}
			return cur
		})
	case old.CreatedAt != cur.CreatedAt || old.Database != cur.Database:
		// Deleted and made again under the same ref: nothing of the old
		// one may stay.
		w.projects.put(cur)
		w.conns.release(ref)
		w.changes.notify(ctx, ref)
	default:
		w.projects.put(cur)
		if old.Status == StatusActive && cur.Status != StatusActive {
			w.conns.release(ref)
		}
		if old.Limits != cur.Limits || old.OverQuota != cur.OverQuota {
			// Reopened at next use with the new limits, or read-only (or
			// writable again) from its first connection.
			w.conns.closePool(ref)
		}
		if old.JWTSecret != cur.JWTSecret || old.settings != cur.settings {
			w.changes.notify(ctx, ref)
		}
	}
}

// ChangeHook drops what a component derived from a project's stored state
// (its JWT secret: verification keys, the cache of verified tokens; its
// auth settings), so that the next request reloads it. It runs after such a
// change, made on this node or another; it must not fail for a project it
// never saw.
type ChangeHook func(ctx context.Context, ref string) error

// changes runs the change hooks.
type changes struct {
	hooks []changeHook // registered before Start, read-only after
	log   *slog.Logger
}

func (c *changes) add(name string, fn ChangeHook) {
	c.hooks = append(c.hooks, changeHook{name: name, fn: fn})
}

// notify runs the change hooks of project ref; failures are logged.
func (c *changes) notify(ctx context.Context, ref string) {
	for _, h := range c.hooks {
		if err := h.fn(ctx, ref); err != nil {
			c.log.Error("dropping state derived from a project's old settings", "ref", ref, "hook", h.name, "err", err)
		}
	}
}

type changeHook struct {
	name string
	fn   ChangeHook
}
