package rest

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A request's transaction is one pipelined round trip: the setup
// statement (role, claims, request settings, search path, read-only), an
// optional time zone, then the statement. pgx prepares a statement it has
// not seen on a connection before that batch, in a round trip of its own,
// so PostgreSQL parses it as the login role with the session's search
// path: a statement on a schema only the API roles may use (or naming a
// function on the request's search path) then fails to parse. Such a
// failure is retried once with the statement sent after the setup, in an
// explicit transaction, where it is parsed under the request's role and
// search path; from then on the connection has it prepared and the usual
// single round trip applies.

// txPlan is one request's transaction.
type txPlan struct {
	setup []any  // setupSQL's arguments
	tz    string // a time zone to set, or ""
	sql   string
	args  []any
	// rollback ends the transaction with a rollback (Prefer: tx=rollback);
	// hold leaves it open for the caller to end once it has the result.
	rollback, hold bool
}

const timezoneSQL = "select set_config('timezone', $1, true)"

// runTx runs p on conn; read takes the statement's results from the batch.
// On error no transaction is left open.
func runTx(ctx context.Context, conn *pgx.Conn, p txPlan, read func(pgx.BatchResults) error) error {
	err := runTxOnce(ctx, conn, p, false, read)
	if parsedTooEarly(err) {
		err = runTxOnce(ctx, conn, p, true, read)
	}
	return err
}

// parsedTooEarly reports whether err is PostgreSQL's refusal of a
// statement prepared ahead of the batch.
func parsedTooEarly(err error) bool {
	var pre pgx.ErrPreprocessingBatch
	var pe *pgconn.PgError
	return errors.As(err, &pre) && errors.As(err, &pe)
}

func runTxOnce(ctx context.Context, conn *pgx.Conn, p txPlan, split bool, read func(pgx.BatchResults) error) error {
	explicit := p.rollback || p.hold || split
	b := &pgx.Batch{}
	if explicit {
		b.Queue("begin")
	}
	b.Queue(setupSQL, p.setup...)
	if p.tz != "" {
		b.Queue(timezoneSQL, p.tz)
	}
	err := func() error {
		if split {
			if err := conn.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
			b = &pgx.Batch{}
		}
		pre := len(b.QueuedQueries)
		b.Queue(p.sql, p.args...)
		switch {
		case p.rollback:
			b.Queue("rollback")
		case split && !p.hold:
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
