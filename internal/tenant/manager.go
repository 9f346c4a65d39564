package tenant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/kernel"
)

// Manager is the "tenant" component: the lifecycle of projects, the hooks
// that tell the components of changes, and the parts of the tenant it hands
// out ([Manager.Projects], [Manager.Connections], [Manager.Settings],
// [Manager.Quotas]); see the package documentation.
type Manager struct {
	cp       ControlPlane
	srv      Server
	cfg      Config
	external string // the served database in external mode
	log      *slog.Logger

	store    *store
	projects *Projects
	conns    *Connections
	settings *Settings
	quotas   *Quotas
	changes  *changes
	watch    *watcher

	prov   *provisioner
	lifeMu sync.Mutex // serialises lifecycle changes (create, pause, delete) in this process

	stopWatch context.CancelFunc
	watchWG   sync.WaitGroup
}

var (
	_ kernel.Component        = (*Manager)(nil)
	_ kernel.HealthChecker    = (*Manager)(nil)
	_ kernel.ReadinessChecker = (*Manager)(nil)
	_ kernel.Resetter         = (*Manager)(nil)
)

// New returns the tenant manager. externalDatabase is the database given by
// --database-url, or "" in managed mode.
func New(cfg Config, cp ControlPlane, srv Server, externalDatabase string, log *slog.Logger) *Manager {
	st := &store{cp: cp, keys: cfg.Keys}
	projects, changes := newProjects(), &changes{log: log}
	conns := newConnections(cfg, projects, cp, srv, externalDatabase != "", log)
	return &Manager{
		cp: cp, srv: srv, cfg: cfg, external: externalDatabase, log: log,
		store: st, projects: projects, conns: conns, changes: changes,
		settings: &Settings{store: st, projects: projects, changes: changes},
		quotas:   &Quotas{cp: cp, srv: srv, projects: projects, conns: conns, log: log},
		prov:     &provisioner{cp: cp, srv: srv, cfg: cfg, external: externalDatabase, log: log},
		watch:    &watcher{cp: cp, store: st, projects: projects, conns: conns, changes: changes, log: log},
	}
}

// Projects returns the catalogue of projects.
func (m *Manager) Projects() *Projects { return m.projects }

// Connections returns the projects' connections: pools, budget, fair shares.
func (m *Manager) Connections() *Connections { return m.conns }

// Settings returns the projects' API settings.
func (m *Manager) Settings() *Settings { return m.settings }

// Quotas returns the projects' limits and size quotas.
func (m *Manager) Quotas() *Quotas { return m.quotas }

// AddSetupHook registers a hook. Call it before Start.
func (m *Manager) AddSetupHook(name string, fn SetupHook) {
	m.prov.setups = append(m.prov.setups, setupHook{name: name, fn: fn})
}

// AddTeardownHook registers a hook. Call it before Start.
func (m *Manager) AddTeardownHook(name string, fn TeardownHook) {
	m.prov.teardowns = append(m.prov.teardowns, setupHook{name: name, fn: SetupHook(fn)})
}

// AddChangeHook registers a hook. Call it before Start. The change hooks
// are the one way every component, on every node, learns that a project's
// stored state changed (its JWT secret and keys, its settings; its
// deletion): the part of the tenant that makes the change runs them at
// once, and the watcher of every other node runs them there.
func (m *Manager) AddChangeHook(name string, fn ChangeHook) { m.changes.add(name, fn) }

// Name implements [kernel.Component].
func (m *Manager) Name() string { return "tenant" }

// Requires implements [kernel.Component].
func (m *Manager) Requires() []string { return []string{"controlplane"} }

// Start seals the projects' secrets not sealed under the current key, and
// makes sure the default project exists and is set up.
func (m *Manager) Start(ctx context.Context) error {
	if m.cfg.Keys == nil {
		return errors.New("the tenant manager needs a keyring to seal the projects' secrets")
	}
	pool, err := m.cp.Pool()
	if err != nil {
		return err
	}
	if err := m.store.reseal(ctx, pool); err != nil {
		return err
	}
	db := m.cfg.DefaultDatabase
	if db == "" {
		db = "proj_" + DefaultRef
	}
	if m.external != "" {
		db = m.external
	}
	p, err := m.ensure(ctx, DefaultRef, "Default project", db, m.cfg.JWTSecret)
	if err != nil {
		return fmt.Errorf("setting up the default project: %w", err)
	}
	m.projects.put(p)
	if err := m.recover(ctx); err != nil {
		return err
	}
	if err := m.conns.start(ctx); err != nil {
		return err
	}
	every := m.cfg.QuotaCheckInterval
	if every <= 0 {
		every = DefaultQuotaCheckInterval
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.stopWatch = cancel
	m.quotas.watch(wctx, every, &m.watchWG)
	m.watch.run(wctx, &m.watchWG)
	return nil
}

// Stop ends the quota watcher and closes the projects' pools. It is idempotent.
func (m *Manager) Stop(context.Context) error {
	if m.stopWatch != nil {
		m.stopWatch()
		m.watchWG.Wait()
		m.stopWatch = nil
	}
	m.conns.close()
	return nil
}

// Health checks that the default project's database answers.
func (m *Manager) Health(ctx context.Context) error {
	p, err := m.projects.Project(DefaultRef)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, m.srv.ConnString(p.Database))
	if err != nil {
		return fmt.Errorf("connecting to project %q: %w", p.Ref, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// Ready implements [kernel.ReadinessChecker]; see [Connections.Ready].
func (m *Manager) Ready(ctx context.Context) error { return m.conns.Ready(ctx) }

// Reset implements [kernel.Resetter]; see [Connections.Reset].
func (m *Manager) Reset(ctx context.Context) { m.conns.Reset(ctx) }
