package tenant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connections holds the connections mobo keeps to the projects' databases:
// each project's API and service pools, opened at first use, every one of
// their connections under the cluster's connection budget (budget.go), as
// are the long-lived connections of other components (holds) and the pools
// they made from [Connections.PoolConfig] (tracked pools); and it shares
// the cluster's backends among the busy projects (share.go). It reads the
// projects from the catalogue and changes none of them. Its state is its
// own, under its own lock; it is safe for concurrent use once the
// [Manager] has started.
type Connections struct {
	projects *Projects
	cp       ControlPlane // the login roles' credentials
	srv      Server
	cfg      Config
	external bool // --database-url: the served database has no owner role of mobo's
	log      *slog.Logger

	mu      sync.RWMutex
	pools   map[poolKey]*pgxpool.Pool
	holds   map[*hold]struct{}
	tracked map[*pgxpool.Pool]struct{} // other components' pools under the budget (TrackPool)
	budget  *budget                    // set by start, before any pool opens
	ready   memo                       // the last readiness answer (Ready)
	share   *sharer
}

func newConnections(cfg Config, projects *Projects, cp ControlPlane, srv Server, external bool, log *slog.Logger) *Connections {
	return &Connections{
		projects: projects, cp: cp, srv: srv, cfg: cfg, external: external, log: log,
		pools: map[poolKey]*pgxpool.Pool{}, holds: map[*hold]struct{}{}, tracked: map[*pgxpool.Pool]struct{}{},
		share: newSharer(cmp.Or(cfg.ActiveBackends, DefaultActiveBackends()), sharePatience),
	}
}

// start sets the connection budget of all project pools from the server's
// max_connections.
func (c *Connections) start(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("reading max_connections: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var maxConns, superReserved int
	if err := conn.QueryRow(ctx, "select current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int").Scan(&maxConns, &superReserved); err != nil {
		return fmt.Errorf("reading max_connections: %w", err)
	}
	reserved := c.cfg.ReservedConnections
	if reserved <= 0 {
		reserved = DefaultReservedConnections
	}
	n := maxConns - superReserved - reserved
	if n < 2 {
		return fmt.Errorf("max_connections %d leaves no room for project pools (reserved %d): raise postgres.max_connections", maxConns, superReserved+reserved)
	}
	c.budget = newBudget(n)
	c.budget.steal = c.stealIdle
	c.log.Debug("connection budget", "project_pools", n, "max_connections", maxConns)
	return nil
}

// close closes every pool and tells the holders of long-lived connections
// to let go. It is idempotent.
func (c *Connections) close() {
	c.mu.Lock()
	pools, holds := c.pools, c.holds
	c.pools, c.holds = map[poolKey]*pgxpool.Pool{}, map[*hold]struct{}{}
	c.mu.Unlock()
	for _, p := range pools {
		p.Close()
	}
	for h := range holds {
		h.evict()
	}
}

// Pool returns the API pool of project ref, opening it at first use. Its
// connections log in as the project's login role, which mobo owns, holds no
// privileges of its own and can only switch (SET LOCAL ROLE) to anon,
// authenticated and service_role, as PostgREST's authenticator does. There
// is no fallback to a more privileged role.
func (c *Connections) Pool(ctx context.Context, ref string) (*pgxpool.Pool, error) {
	return c.pool(ctx, poolKey{ref: ref}, c.PoolConfig)
}

// ServicePool returns project ref's pool for platform components that act
// as the owner of the project's schemas they manage (the auth service, as
// GoTrue's supabase_auth_admin does), opening it at first use. Like the API
// pool it counts against the connection budget, is reaped when idle and is
// closed when the project is paused or deleted: callers look it up at each
// use rather than keeping it.
func (c *Connections) ServicePool(ctx context.Context, ref string) (*pgxpool.Pool, error) {
	return c.pool(ctx, poolKey{ref: ref, service: true}, c.serviceConfig)
}

// poolKey names one of a project's pools.
type poolKey struct {
	ref     string
	service bool
}

func (c *Connections) pool(ctx context.Context, key poolKey, config func(context.Context, string) (*pgxpool.Config, error)) (*pgxpool.Pool, error) {
	c.mu.RLock()
	pool, ok := c.pools[key]
	c.mu.RUnlock()
	if ok {
		return pool, nil
	}
	cfg, err := config(ctx, key.ref)
	if err != nil {
		return nil, err
	}
	pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		if err = pool.Ping(ctx); err != nil {
			pool.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("project %q pool: %w", key.ref, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if existing, ok := c.pools[key]; ok { // a concurrent caller won
		pool.Close()
		return existing, nil
	}
	c.pools[key] = pool
	return pool, nil
}

// serviceConfig is the configuration of project ref's service pool: the
// platform's superuser on the project's database, a few connections, the
// shared budget.
func (c *Connections) serviceConfig(_ context.Context, ref string) (*pgxpool.Config, error) {
	p, err := c.projects.Project(ref)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusActive {
		return nil, fmt.Errorf("project %q: %w", ref, ErrPaused)
	}
	cfg, err := pgxpool.ParseConfig(c.srv.ConnString(p.Database))
	if err != nil {
		return nil, fmt.Errorf("project %q service pool: %w", ref, err)
	}
	c.tunePool(cfg, p)
	cfg.MaxConns = servicePoolMaxConns
	// Auth needs its pool now and then (a sign-in, the keys at first use):
	// it gives its connections back sooner than the API pool does.
	cfg.MaxConnIdleTime = min(cfg.MaxConnIdleTime, serviceIdleTimeout)
	cfg.HealthCheckPeriod = min(cfg.HealthCheckPeriod, cfg.MaxConnIdleTime)
	cfg.ConnConfig.RuntimeParams["application_name"] = "mobo service " + p.Ref
	// The service components run their own statements, not the users'.
	delete(cfg.ConnConfig.RuntimeParams, "statement_timeout")
	return cfg, nil
}

// servicePoolMaxConns caps a project's service pool: auth's statements are
// short and few per request; serviceIdleTimeout is how long its idle
// connections stay.
const (
	servicePoolMaxConns = 4
	serviceIdleTimeout  = 10 * time.Second
)

// PoolConfig returns a pool configuration for project ref like the one Pool
// uses (the project's login role, its limits, the shared connection budget),
// for components that need a pool of their own, such as the wire pooler.
func (c *Connections) PoolConfig(ctx context.Context, ref string) (*pgxpool.Config, error) {
	p, err := c.projects.Project(ref)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusActive {
		return nil, fmt.Errorf("project %q: %w", ref, ErrPaused)
	}
	login, password, err := loginCredentials(ctx, c.cp, ref)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(c.srv.ConnString(p.Database))
	if err != nil {
		return nil, fmt.Errorf("project %q pool: %w", ref, err)
	}
	cfg.ConnConfig.User, cfg.ConnConfig.Password = login, password
	c.tunePool(cfg, p)
	return cfg, nil
}

// tunePool applies the project's limits and the shared connection budget.
// Idle connections are closed after a minute, so idle projects hold none.
func (c *Connections) tunePool(cfg *pgxpool.Config, p *Project) {
	cfg.MaxConns = int32(c.poolMax(p)) //nolint:gosec // validated ≤ 1000
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = cmp.Or(c.cfg.PoolIdleTimeout, time.Minute)
	// Idle connections are reaped by the pool's health check, so it runs at
	// least as often as the idle timeout.
	cfg.HealthCheckPeriod = min(15*time.Second, cfg.MaxConnIdleTime)
	cfg.ConnConfig.RuntimeParams["application_name"] = "mobo api " + p.Ref
	if t := cmp.Or(p.Limits.StatementTimeout, c.cfg.StatementTimeout); t > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(t.Milliseconds(), 10)
	}
	if b := c.budget; b != nil {
		cfg.ConnConfig.DialFunc = b.dial(cfg.ConnConfig.DialFunc) // ParseConfig set pgconn's dialer
	}
}

// poolMax is the size limit of p's API pool.
func (c *Connections) poolMax(p *Project) int {
	return cmp.Or(p.Limits.MaxConnections, c.cfg.PoolMaxConns, DefaultPoolMaxConns)
}

// closePool closes project ref's API pool; the next use opens a new one
// (with new limits, say).
func (c *Connections) closePool(ref string) {
	key := poolKey{ref: ref}
	c.mu.Lock()
	pool := c.pools[key]
	delete(c.pools, key)
	c.mu.Unlock()
	if pool != nil {
		pool.Close()
	}
}

// release frees every connection project ref holds, at once: its pools
// close and the holders of its long-lived connections are told to let go.
// Pausing and deleting a project do it.
func (c *Connections) release(ref string) {
	c.mu.Lock()
	var pools []*pgxpool.Pool
	for key, pool := range c.pools {
		if key.ref == ref {
			pools = append(pools, pool)
			delete(c.pools, key)
		}
	}
	var holds []*hold
	for h := range c.holds {
		if h.ref == ref {
			holds = append(holds, h)
		}
	}
	c.mu.Unlock()
	for _, pool := range pools {
		pool.Close()
	}
	for _, h := range holds {
		h.evict()
	}
}

// ConnectionStats is the state of the connection budget: what an operator
// reads (the admin API's status) and what the fault tests check. Budget
// slots are held by pool connections that are open, by dials in flight and
// by long-lived connections (holds), and by nothing else: Held equals
// Open + Dialing + Holds whenever no connection is between two of those
// states, and Open equals the client backends that PostgreSQL shows for
// the pools ("mobo api …", "mobo service …", "mobo pgwire …").
type ConnectionStats struct {
	Budget    int              `json:"budget"`    // slots in all
	Held      int              `json:"held"`      // slots taken
	Open      int              `json:"open"`      // pool connections open
	Dialing   int              `json:"dialing"`   // connection attempts in flight
	Holds     int              `json:"holds"`     // long-lived connections (schema listeners)
	Exhausted uint64           `json:"exhausted"` // requests that waited the budget out (503)
	Projects  map[string]int32 `json:"projects"`  // connections per project: pools and holds
}

// Stats reports the connection budget's state.
func (c *Connections) Stats() ConnectionStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := ConnectionStats{Projects: make(map[string]int32, len(c.pools)), Holds: len(c.holds)}
	for key, p := range c.pools {
		st.Projects[key.ref] += p.Stat().TotalConns()
	}
	for h := range c.holds {
		st.Projects[h.ref]++
	}
	if b := c.budget; b != nil {
		st.Budget, st.Held = cap(b.sem), b.InUse()
		st.Open, st.Dialing = int(b.open.Load()), int(b.dialing.Load())
		st.Exhausted = b.exhausted.Load()
	}
	return st
}

// Reset is the tenant component's ([Manager.Reset]): after PostgreSQL
// restarted, every connection of every pool is stale. The pools drop them
// (idle ones now, those in use when they come back) and open new ones at
// the next request; their budget slots come back as each closes.
func (c *Connections) Reset(context.Context) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range c.pools {
		p.Reset()
	}
	for p := range c.tracked {
		p.Reset()
	}
}

// Ready is the tenant component's ([Manager.Ready]): the node can
// serve requests when the default project's API pool answers a ping (a
// connection can be had and PostgreSQL accepts statements: not down, not
// in recovery) and no request waited the connection budget out in the last
// second. The answer is kept for readyMemo, so a busy prober costs one ping
// per period.
func (c *Connections) Ready(ctx context.Context) error {
	return c.ready.get(func() error { return c.probe(ctx) })
}

// ErrBudgetExhausted is the readiness error while requests fail for want
// of a connection slot.
var ErrBudgetExhausted = errors.New("the connection budget is exhausted")

// readyMemo is how long a readiness answer is reused; budgetReadyWindow is
// how long after a request waited the budget out the node says it is not
// ready.
const (
	readyMemo         = 200 * time.Millisecond
	budgetReadyWindow = time.Second
)

func (c *Connections) probe(ctx context.Context) error {
	if b := c.budget; b != nil {
		if last := b.lastExhausted.Load(); last != 0 && time.Since(time.Unix(0, last)) < budgetReadyWindow {
			return ErrBudgetExhausted
		}
	}
	pool, err := c.Pool(ctx, DefaultRef)
	if err != nil {
		return err
	}
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("project %q: %w", DefaultRef, err)
	}
	return nil
}

// memo keeps the last answer of a check for a short while, so concurrent
// and frequent callers share one run.
type memo struct {
	mu   sync.Mutex
	at   time.Time
	last error
}

func (c *memo) get(run func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < readyMemo {
		return c.last
	}
	c.last, c.at = run(), time.Now()
	return c.last
}
