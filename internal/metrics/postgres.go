package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Server is where PostgreSQL is: the managed cluster and the external
// server implement it.
type Server interface {
	ConnString(database string) string
}

// scrapeTimeout bounds what one scrape waits for PostgreSQL: a server that
// hangs makes mobo_pg_up 0, not a scrape that never ends.
const scrapeTimeout = 5 * time.Second

// PostgreSQL is a collector of the server's own statistics, read at scrape
// time over one short connection to its "postgres" database (not one of
// the connection budget's; it comes out of the reserve): per database,
// backends, transactions, blocks hit and read (the cache hit ratio is
// hit / (hit + read)) and size; per replication slot, its lag behind the
// WAL. The database and slot labels are bounded by the projects. A
// scrape that fails makes mobo_pg_up 0 and is logged to log.
func PostgreSQL(srv Server, log *slog.Logger) prometheus.Collector {
	return pgCollector{srv: srv, log: log}
}

func pgDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_pg_"+name, help, labels, nil)
}

var (
	pgUp        = pgDesc("up", "Whether PostgreSQL answered the last scrape (1) or not (0).")
	pgMaxConns  = pgDesc("max_connections", "PostgreSQL's max_connections.")
	pgBackends  = pgDesc("backends", "Backends connected to the database.", "database")
	pgCommits   = pgDesc("xact_commit_total", "Transactions committed in the database.", "database")
	pgRollbacks = pgDesc("xact_rollback_total", "Transactions rolled back in the database.", "database")
	pgBlksHit   = pgDesc("blocks_hit_total", "Disk blocks found in PostgreSQL's buffer cache.", "database")
	pgBlksRead  = pgDesc("blocks_read_total", "Disk blocks read (not in the buffer cache).", "database")
	pgSize      = pgDesc("database_size_bytes", "Size of the database on disk.", "database")
	pgSlotLag   = pgDesc("replication_slot_lag_bytes", "WAL the replication slot retains: how far its consumer lags behind.", "slot", "database")
	pgSlotUp    = pgDesc("replication_slot_active", "Whether a consumer is connected to the replication slot.", "slot", "database")
)

type pgCollector struct {
	srv Server
	log *slog.Logger
}

func (c pgCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pgUp, pgMaxConns, pgBackends, pgCommits, pgRollbacks, pgBlksHit, pgBlksRead, pgSize, pgSlotLag, pgSlotUp} {
		ch <- d
	}
}

func (c pgCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	up := 1.0
	if err := c.collect(ctx, ch); err != nil {
		up = 0
		c.log.Warn("scraping PostgreSQL's statistics", "err", err)
	}
	ch <- prometheus.MustNewConstMetric(pgUp, prometheus.GaugeValue, up)
}

func (c pgCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	cfg, err := pgx.ParseConfig(c.srv.ConnString("postgres"))
	if err != nil {
		return fmt.Errorf("reading PostgreSQL's statistics: %w", err)
	}
	cfg.RuntimeParams["application_name"] = "mobo metrics"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("reading PostgreSQL's statistics: %w", err)
	}
	defer conn.Close(context.Background())
	var maxConns float64
	if err := conn.QueryRow(ctx, "select current_setting('max_connections')::float8").Scan(&maxConns); err != nil {
		return fmt.Errorf("reading max_connections: %w", err)
	}
	ch <- prometheus.MustNewConstMetric(pgMaxConns, prometheus.GaugeValue, maxConns)
	if err := collectDatabases(ctx, conn, ch); err != nil {
		return err
	}
	return collectSlots(ctx, conn, ch)
}

const databasesSQL = `select d.datname, s.numbackends, s.xact_commit, s.xact_rollback, s.blks_hit, s.blks_read,
	case when has_database_privilege(d.oid, 'CONNECT') then pg_database_size(d.oid) end
	from pg_database d join pg_stat_database s on s.datid = d.oid
	where not d.datistemplate and d.datallowconn`

func collectDatabases(ctx context.Context, conn *pgx.Conn, ch chan<- prometheus.Metric) error {
	rows, err := conn.Query(ctx, databasesSQL)
	if err != nil {
		return fmt.Errorf("reading pg_stat_database: %w", err)
	}
	var (
		name                           string
		backends                       int32
		commits, rollbacks, hit, reads int64
		size                           *int64
	)
	_, err = pgx.ForEachRow(rows, []any{&name, &backends, &commits, &rollbacks, &hit, &reads, &size}, func() error {
		ch <- prometheus.MustNewConstMetric(pgBackends, prometheus.GaugeValue, float64(backends), name)
		ch <- prometheus.MustNewConstMetric(pgCommits, prometheus.CounterValue, float64(commits), name)
		ch <- prometheus.MustNewConstMetric(pgRollbacks, prometheus.CounterValue, float64(rollbacks), name)
		ch <- prometheus.MustNewConstMetric(pgBlksHit, prometheus.CounterValue, float64(hit), name)
		ch <- prometheus.MustNewConstMetric(pgBlksRead, prometheus.CounterValue, float64(reads), name)
		if size != nil {
			ch <- prometheus.MustNewConstMetric(pgSize, prometheus.GaugeValue, float64(*size), name)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading pg_stat_database: %w", err)
	}
	return nil
}

// slotsSQL measures each slot's lag from the WAL's end (the last replayed
// position on a standby, where pg_current_wal_lsn fails).
const slotsSQL = `select slot_name, coalesce(database, ''), active,
	coalesce(pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end,
		coalesce(confirmed_flush_lsn, restart_lsn)), 0)::float8
	from pg_replication_slots`

func collectSlots(ctx context.Context, conn *pgx.Conn, ch chan<- prometheus.Metric) error {
	rows, err := conn.Query(ctx, slotsSQL)
	if err != nil {
		return fmt.Errorf("reading pg_replication_slots: %w", err)
	}
	var (
		slot, db string
		active   bool
		lag      float64
	)
	_, err = pgx.ForEachRow(rows, []any{&slot, &db, &active, &lag}, func() error {
		act := 0.0
		if active {
			act = 1
		}
		ch <- prometheus.MustNewConstMetric(pgSlotLag, prometheus.GaugeValue, lag, slot, db)
		ch <- prometheus.MustNewConstMetric(pgSlotUp, prometheus.GaugeValue, act, slot, db)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading pg_replication_slots: %w", err)
	}
	return nil
}
