package tenant

import (
	"fmt"
	"slices"
	"sync"
)

// Projects is the catalogue of the projects this node knows: each one's
// state as last read from the control plane (the [Manager] loads them at
// Start and keeps them up to date, with the changes made on other nodes).
// It answers from memory and is safe for concurrent use. An entry is never
// changed in place: a change stores a changed copy, so a *Project handed
// out stays as it was.
type Projects struct {
	mu    sync.RWMutex
	byRef map[string]*Project
}

func newProjects() *Projects { return &Projects{byRef: map[string]*Project{}} }

// Project returns a loaded project by ref.
func (c *Projects) Project(ref string) (*Project, error) {
	if p := c.lookup(ref); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("project %q: %w", ref, ErrNoProject)
}

// ProjectState reports whether project ref exists and is active; the
// gateway routes only to active projects.
func (c *Projects) ProjectState(ref string) (exists, active bool) {
	p := c.lookup(ref)
	return p != nil, p != nil && p.Status == StatusActive
}

// Refs returns the refs of the loaded projects, sorted.
func (c *Projects) Refs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	refs := make([]string, 0, len(c.byRef))
	for r := range c.byRef {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	return refs
}

// JWTSecret returns project ref's JWT secret (HS256).
func (c *Projects) JWTSecret(ref string) (string, error) {
	p, err := c.Project(ref)
	if err != nil {
		return "", err
	}
	return p.JWTSecret, nil
}

// ServiceKey returns project ref's service_role key (the wire pooler's
// password).
func (c *Projects) ServiceKey(ref string) (string, error) {
	p, err := c.Project(ref)
	if err != nil {
		return "", err
	}
	return p.ServiceKey, nil
}

// Database returns the name of project ref's database.
func (c *Projects) Database(ref string) (string, error) {
	p, err := c.Project(ref)
	if err != nil {
		return "", err
	}
	return p.Database, nil
}

// RequestRate returns project ref's own request rate rule, or "".
func (c *Projects) RequestRate(ref string) string {
	if p := c.lookup(ref); p != nil {
		return p.Limits.RequestRate
	}
	return ""
}

// lookup returns project ref's entry, or nil.
func (c *Projects) lookup(ref string) *Project {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byRef[ref]
}

// put stores p as its ref's entry.
func (c *Projects) put(p *Project) {
	c.mu.Lock()
	c.byRef[p.Ref] = p
	c.mu.Unlock()
}

// remove forgets project ref.
func (c *Projects) remove(ref string) {
	c.mu.Lock()
	delete(c.byRef, ref)
	c.mu.Unlock()
}

// edit stores what fn makes of project ref's entry (nil when there is
// none; fn must not change it, but return a changed copy), in one step, and
// returns the entry stored. When fn returns nil, nothing changes.
func (c *Projects) edit(ref string, fn func(cur *Project) *Project) *Project {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.byRef[ref]
	next := fn(cur)
	if next == nil {
		return cur
	}
	c.byRef[ref] = next
	return next
}

// update changes a copy of project ref's entry with fn and stores it;
// nothing when ref is not loaded.
func (c *Projects) update(ref string, fn func(p *Project)) {
	c.edit(ref, func(cur *Project) *Project {
		if cur == nil {
			return nil
		}
		cp := *cur
		fn(&cp)
		return &cp
	})
}
