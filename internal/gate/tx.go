package gate

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A decision's transaction is the only place where mobo switches to a
// principal's role: the setup statements below, queued by [Decision.Run],
// [Decision.Begin] and [Decision.QueueSetup], set the role and the claims
// (request.jwt.claims, which auth.uid() and RLS policies read) for the
// transaction only. No other package sets 'role' (TestOnlyTheGateSwitchesRoles).

// Settings are a transaction's request settings besides role and claims.
type Settings struct {
	// Method, Path and Headers (a JSON object) are PostgREST's
	// request.method, request.path and request.headers. With Method ""
	// they, SearchPath and ReadOnly are left alone.
	Method, Path, Headers string
	SearchPath            string
	ReadOnly              bool
	// TimeZone, when set, is the transaction's time zone.
	TimeZone string
	// Topic, when set, is realtime.topic (realtime.topic() in policies on
	// realtime.messages).
	Topic string
	// BuiltinOnly, with Method, says the statement runs none of the
	// database's own code (no function, view, row-level security policy,
	// domain or user-defined type or operator): then request.method,
	// request.path, request.headers and transaction_read_only, which only
	// such code can observe (a plain read cannot write), are not set. Role,
	// claims and search path are, as always.
	BuiltinOnly bool
}

const (
	requestSetupSQL = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.method', $3, true), set_config('request.path', $4, true),
  set_config('request.headers', $5, true), set_config('search_path', $6, true),
  set_config('transaction_read_only', $7, true)`
	builtinSetupSQL = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('search_path', $3, true)`
	roleSetupSQL    = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`
	topicSetupSQL   = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('realtime.topic', $3, true)`
	timezoneSQL     = "select set_config('timezone', $1, true)"
	// seedRoleSQL runs a decision's seed statements as the project's
	// service role, before the principal's role takes over.
	seedRoleSQL = "select set_config('role', 'service_role', true)"
)

// The values of transaction_read_only, boxed once: the request path
// queues one of them on every request.
var readOnlyArg, readWriteArg any = "on", "off"

// QueueSetup queues on b the statements that switch the transaction to the
// decision's role and claims with settings s. b must begin a transaction
// first; the settings end with it.
func (d *Decision) QueueSetup(b *pgx.Batch, s Settings) {
	switch {
	case s.Method != "" && s.BuiltinOnly:
		b.Queue(builtinSetupSQL, d.p.Role, string(d.p.ClaimsJSON), s.SearchPath)
	case s.Method != "":
		ro := readWriteArg
		if s.ReadOnly {
			ro = readOnlyArg
		}
		b.Queue(requestSetupSQL, d.p.Role, string(d.p.ClaimsJSON), s.Method, s.Path, s.Headers, s.SearchPath, ro)
	case s.Topic != "":
		b.Queue(topicSetupSQL, d.p.Role, string(d.p.ClaimsJSON), s.Topic)
	default:
		b.Queue(roleSetupSQL, d.p.Role, string(d.p.ClaimsJSON))
	}
	if s.TimeZone != "" {
		b.Queue(timezoneSQL, s.TimeZone)
	}
}

// Beginner begins transactions (a pgxpool.Pool, a pgx.Conn).
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Statement is SQL with its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// Begin opens a transaction on db running as the decision's principal with
// settings s. The seed statements run first, as the project's service
// role: rows the platform writes on its own behalf, such as the probe rows
// through which a private channel asks realtime.messages' policies. The
// caller ends the transaction.
func (d *Decision) Begin(ctx context.Context, db Beginner, opts pgx.TxOptions, s Settings, seed ...Statement) (pgx.Tx, error) {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	if len(seed) > 0 {
		// The role first, on its own: pgx prepares a batch's statements
		// before sending it, and a seed naming a schema only the API roles
		// may use (realtime) must be parsed as the service role, not as the
		// login role.
		if _, err := tx.Exec(ctx, seedRoleSQL); err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
		for _, st := range seed {
			b.Queue(st.SQL, st.Args...)
		}
	}
	d.QueueSetup(b, s)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, err
	}
	return tx, nil
}

// Plan is one request's statement and how its transaction ends.
type Plan struct {
	Settings Settings
	SQL      string
	Args     []any
	// Then are statements run after SQL in the same transaction and
	// round trip (an EXPLAIN for a planned count); read takes their
	// results after SQL's.
	Then []Statement
	// Rollback ends the transaction with a rollback (Prefer: tx=rollback);
	// Hold leaves it open for the caller to end once it has the result.
	Rollback, Hold bool
}

// Run runs p on conn as the decision's principal in one pipelined round
// trip: the setup, an optional time zone, then the statement; read takes
// the statement's results from the batch. On error no transaction is left
// open. The sentinel ([Watcher]) first inspects the statement's bound
// values: its refusal ends the request before any I/O.
//
// pgx prepares a statement it has not seen on a connection before that
// batch, in a round trip of its own, so PostgreSQL parses it as the login
// role with the session's search path: a statement on a schema only the
// API roles may use (or naming a function on the request's search path)
// then fails to parse. Such a failure is retried once with the statement
// sent after the setup, in an explicit transaction, where it is parsed
// under the request's role and search path; from then on the connection
// has it prepared and the usual single round trip applies.
func (d *Decision) Run(ctx context.Context, conn *pgx.Conn, p Plan, read func(pgx.BatchResults) error) error {
	if d.g.watch != nil {
		if err := d.g.watch.Inspect(ctx, p.Args); err != nil {
			return err
		}
	}
	ctx, span := d.startSQL(ctx, p)
	err := d.runOnce(ctx, conn, p, false, read)
	retried := parsedTooEarly(err)
	if retried {
		err = d.runOnce(ctx, conn, p, true, read)
	}
	if span != nil {
		endSQL(span, retried, err)
	}
	return err
}

// Inspect has the sentinel ([Watcher]) inspect values of the request that
// reach PostgreSQL other than in a statement the decision runs (Run
// inspects those itself): a realtime filter's values, which are checked
// on the subscription's own connection. An error refuses the request.
func (d *Decision) Inspect(ctx context.Context, values ...any) error {
	if d.g.watch == nil || len(values) == 0 {
		return nil
	}
	return d.g.watch.Inspect(ctx, values)
}

// parsedTooEarly reports whether err is PostgreSQL's refusal of a
// statement prepared ahead of the batch.
func parsedTooEarly(err error) bool {
	if err == nil {
		return false
	}
	var pre pgx.ErrPreprocessingBatch
	var pe *pgconn.PgError
	return errors.As(err, &pre) && errors.As(err, &pe)
}

func (d *Decision) runOnce(ctx context.Context, conn *pgx.Conn, p Plan, split bool, read func(pgx.BatchResults) error) error {
	// Over its quota a project's database defaults to read-only
	// transactions; a delete asks for a read-write one before any query
	// (setting it later is refused), others stay read-only.
	readWrite := d.deletes && !p.Settings.ReadOnly
	if d.overQuota && !d.deletes {
		p.Settings.ReadOnly = true
	}
	explicit := p.Rollback || p.Hold || split || readWrite
	b := &pgx.Batch{}
	switch {
	case readWrite:
		b.Queue("begin read write")
	case explicit:
		b.Queue("begin")
	}
	d.QueueSetup(b, p.Settings)
	err := func() error {
		if split {
			if err := conn.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
			b = &pgx.Batch{}
		}
		pre := len(b.QueuedQueries)
		b.Queue(p.SQL, p.Args...)
		for _, st := range p.Then {
			b.Queue(st.SQL, st.Args...)
		}
		switch {
		case p.Rollback:
			b.Queue("rollback")
		case (split || readWrite) && !p.Hold:
			b.Queue("commit")
		}
		br := conn.SendBatch(ctx, b)
		err := func() error {
			for range pre {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			return read(br)
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	if err != nil && explicit && conn.PgConn().TxStatus() != 'I' {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "rollback")
	}
	return err
}
