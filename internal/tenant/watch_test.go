package tenant

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/magflock/mobo/internal/controlplane"
	"github.com/magflock/mobo/internal/pg/pgtest"
)

// secondNode starts another manager on m's control plane database, as a
// second `mobo serve` node would.
func secondNode(t *testing.T, m *Manager, db *pgtest.DB) *Manager {
	t.Helper()
	log := discard()
	keys := m.cfg.Keys // the nodes of one platform share its key
	cp := controlplane.New(m.srv, controlplane.Options{ExternalDatabase: db.Name, Keys: keys}, log)
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Stop(context.Background()) })
	n := New(m.cfg, cp, m.srv, "", log)
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop(context.Background()) })
	return n
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChangesReachOtherNodes: what one node does to a project (create,
// rotate its keys, change its auth settings, set limits, pause, resume,
// delete) another node serving the same control plane applies without a
// restart.
func TestChangesReachOtherNodes(t *testing.T) {
	t.Parallel()
	a, db := bootManaged(t)
	b := secondNode(t, a, db)
	ctx := t.Context()
	ref := uniqueRef(t)
	t.Cleanup(func() { dropDatabases(t, db, "proj_"+ref) })
	rotated := make(chan string, 4)
	b.changes.add("test", func(_ context.Context, r string) error {
		rotated <- r
		return nil
	})

	if _, err := a.Create(ctx, CreateOptions{Ref: ref, Name: "Shop"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b knows the new project as active", func() bool {
		exists, active := b.projects.ProjectState(ref)
		return exists && active
	})
	// b can serve it: its pool opens.
	pool, err := b.conns.Pool(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	p, err := a.RotateKeys(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "b has the rotated secret", func() bool {
		q, err := b.projects.Project(ref)
		return err == nil && q.JWTSecret == p.JWTSecret && q.AnonKey == p.AnonKey
	})
	select {
	case r := <-rotated:
		if r != ref {
			t.Errorf("b's keys hook ran for %q", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's keys hook did not run after the rotation")
	}

	// New auth settings: b's auth service must reload the project.
	if _, err := a.settings.PatchAuthSettings(ctx, ref, []byte(`{"disable_signup":true}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-rotated:
		if r != ref {
			t.Errorf("b's change hook ran for %q", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("b's change hook did not run after the auth settings changed")
	}

	if err := a.quotas.SetLimits(ctx, ref, Limits{MaxConnections: 3}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b has the new limits and a pool of 3", func() bool {
		q, err := b.projects.Project(ref)
		if err != nil || q.Limits.MaxConnections != 3 {
			return false
		}
		pool, err := b.conns.Pool(ctx, ref)
		return err == nil && pool.Config().MaxConns == 3
	})

	if err := a.Pause(ctx, ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b sees the pause and holds no connection", func() bool {
		exists, active := b.projects.ProjectState(ref)
		per := b.conns.Stats().Projects
		return exists && !active && per[ref] == 0
	})
	if _, err := b.conns.Pool(ctx, ref); !errors.Is(err, ErrPaused) {
		t.Errorf("b's pool of the paused project: %v", err)
	}
	if err := a.Resume(ctx, ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b sees the resume", func() bool {
		_, active := b.projects.ProjectState(ref)
		return active
	})

	if _, err := a.Delete(ctx, ref, DeleteOptions{NoDump: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b forgot the deleted project", func() bool {
		exists, _ := b.projects.ProjectState(ref)
		return !exists
	})
}
