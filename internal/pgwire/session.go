package pgwire

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// reportedParams are the server parameters passed on to the client at
// startup, as PostgreSQL reports them (GUC_REPORT).
var reportedParams = []string{
	"server_version", "server_encoding", "client_encoding", "DateStyle", "IntervalStyle",
	"integer_datetimes", "standard_conforming_strings", "TimeZone", "in_hot_standby",
	"default_transaction_read_only", "scram_iterations", "search_path",
}

// rejectListen replaces a statement list containing LISTEN: PostgreSQL
// itself raises the error, so it arrives in order with the responses to
// earlier pipelined messages and aborts an open transaction as any error does.
const rejectListen = `DO $mobo$BEGIN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', ` +
	`MESSAGE = '` + listenMessage + `', ` +
	`HINT = 'Notifications need a session of their own: connect to the database directly, or use the realtime API.'; END$mobo$`

const listenMessage = "LISTEN is not supported by the transaction pooler"

// session is one client connection.
type session struct {
	srv  *Server
	conn net.Conn
	be   *pgproto3.Backend
	ref  string
	role string
	user string
	key  string // the service_role key it authenticated with

	pid    uint32
	secret []byte

	// wmu serialises writes to the client. A pump holds it for the whole
	// time its server connection is attached, so that the responses of one
	// attachment all reach the client before those of the next.
	wmu sync.Mutex

	mu  sync.Mutex
	att *attachment // the server connection serving the current transaction

	// stmts are the client's prepared statements (the unnamed one under
	// ""), to prepare again on the server connection of a later
	// transaction. Only the run loop uses it.
	stmts map[string]*pgproto3.Parse
}

// attachment is a server connection lent to a session for one transaction
// (or one pipeline of them). Its counters are guarded by session.mu.
type attachment struct {
	pc *pgxpool.Conn
	pg *pgconn.PgConn
	// wmu serialises writes to the server connection: the session's run
	// loop forwards, the pump's giveBack resets.
	wmu sync.Mutex

	pending  int  // Query, Sync and FunctionCall messages sent but not yet answered by ReadyForQuery
	unsynced bool // extended-protocol messages sent since the last Sync
	tx       byte // transaction status of the last ReadyForQuery
	dirty    bool // session state was changed: DISCARD ALL before reuse
	// prepared are the client's statements prepared on this connection.
	prepared map[string]bool
	// expect lists, in order, the Parse messages sent (to tell the
	// ParseComplete of an injected Parse) and the messages that end in
	// ReadyForQuery.
	expect []expectation

	interrupted atomic.Bool
	done        chan struct{}
}

type expectation uint8

const (
	expectParse    expectation = iota // a client's Parse: ParseComplete goes to the client
	expectInjected                    // the pooler's Parse: ParseComplete is dropped
	expectSync                        // Sync, Query or FunctionCall: ends with ReadyForQuery
)

// parseComplete pops the Parse a ParseComplete answers and reports whether
// the pooler sent it.
func (a *attachment) parseComplete() (injected bool) {
	if len(a.expect) == 0 || a.expect[0] == expectSync {
		return false
	}
	e := a.expect[0]
	a.expect = a.expect[1:]
	return e == expectInjected
}

// failed drops the Parse messages PostgreSQL skips after an error, up to
// the next Sync.
func (a *attachment) failed() {
	for len(a.expect) > 0 && a.expect[0] != expectSync {
		a.expect = a.expect[1:]
	}
}

// ready pops everything up to the Sync that a ReadyForQuery answers.
func (a *attachment) ready() {
	for len(a.expect) > 0 {
		e := a.expect[0]
		a.expect = a.expect[1:]
		if e == expectSync {
			return
		}
	}
}

// interrupt wakes the pump blocked in a read, for the session to end.
func (a *attachment) interrupt() {
	a.interrupted.Store(true)
	_ = a.pg.Conn().SetReadDeadline(time.Now())
}

// serveConn runs one client connection to its end.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(startupTimeout))
	sess := &session{srv: s, conn: conn, be: pgproto3.NewBackend(conn, conn), stmts: map[string]*pgproto3.Parse{}}
	ok, err := sess.startup(ctx)
	if err != nil {
		s.log.Debug("client startup", "err", err, "remote", conn.RemoteAddr().String())
	}
	if !ok {
		return
	}
	defer s.unregister(sess)
	_ = conn.SetDeadline(time.Time{})
	sess.run(ctx)
}

// startup handles the startup packet, SSL/GSS negotiation, a cancel request,
// and authentication. It reports whether the session is ready for queries.
func (sess *session) startup(ctx context.Context) (bool, error) {
	s := sess.srv
	var sm *pgproto3.StartupMessage
	for sm == nil {
		msg, err := sess.be.ReceiveStartupMessage()
		if err != nil {
			return false, err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			// No TLS or GSS encryption: the endpoint is meant for loopback.
			if _, err := sess.conn.Write([]byte{'N'}); err != nil {
				return false, err
			}
		case *pgproto3.CancelRequest:
			cctx, cancel := context.WithTimeout(ctx, resetTimeout)
			s.cancelRequest(cctx, m)
			cancel()
			return false, nil
		case *pgproto3.StartupMessage:
			sm = m
		default:
			return false, fmt.Errorf("unexpected startup message %T", msg)
		}
	}
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 {
		// A 3.2 client is told to speak 3.0, as a PostgreSQL 17 server would.
		var unknown []string
		for k := range sm.Parameters {
			if len(k) > 4 && k[:4] == "_pq_" {
				unknown = append(unknown, k)
			}
		}
		sess.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
	}
	if r := sm.Parameters["replication"]; r != "" && r != "false" && r != "off" && r != "0" && r != "no" {
		return false, sess.fatal(codeFeatureNotSupported, "replication connections are not supported by the pooler", "")
	}
	sess.user = sm.Parameters["user"]
	sess.ref = sm.Parameters["database"]
	if sess.ref == "" {
		sess.ref = sess.user
	}
	role, ok := userRoles[sess.user]
	if !ok && sess.user == sess.ref {
		role, ok = "service_role", true
	}
	if !ok {
		return false, sess.fatal(codeInvalidAuthorization, fmt.Sprintf("role %q is not available through the pooler", sess.user),
			"Connect as postgres or service_role (or anon, authenticated) with the project's service_role key as the password.")
	}
	sess.role = role
	if exists, _ := s.projects.ProjectState(sess.ref); !exists {
		return false, sess.fatal(codeInvalidCatalog, fmt.Sprintf("database %q does not exist", sess.ref),
			"The database name is the project's ref.")
	}

	// SCRAM-SHA-256 with the service_role key as the password. There is no
	// TLS, so no channel binding: keep the endpoint on loopback.
	key, err := s.projects.ServiceKey(sess.ref)
	if err != nil || key == "" {
		return false, sess.fatal(codeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", sess.user), "")
	}
	keys, err := s.scram.get(sess.ref, key)
	if err != nil {
		return false, err
	}
	sess.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
	if err := sess.be.Flush(); err != nil {
		return false, err
	}
	sess.key = key
	if err := sess.scramAuth(keys); err != nil {
		if errors.Is(err, errSCRAM) {
			return false, sess.fatal(codeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", sess.user), "")
		}
		if errors.Is(err, errProtocol) {
			return false, sess.fatal(codeProtocolViolation, err.Error(), "")
		}
		return false, err
	}
	if _, active := s.projects.ProjectState(sess.ref); !active {
		return false, sess.fatal(codeCannotConnectNow, fmt.Sprintf("project %q is paused", sess.ref), "")
	}

	// One connection, to check the project answers and copy its settings.
	pc, err := s.acquire(ctx, sess.ref, sess.role)
	if err != nil {
		return false, sess.upstreamError(err)
	}
	params := make(map[string]string, len(reportedParams))
	for _, k := range reportedParams {
		params[k] = pc.Conn().PgConn().ParameterStatus(k)
	}
	pc.Release()

	if err := s.register(sess); err != nil {
		return false, sess.fatal(codeAdminShutdown, "the server is shutting down", "")
	}
	sess.be.Send(&pgproto3.AuthenticationOk{})
	for _, k := range reportedParams {
		if v := params[k]; v != "" {
			sess.be.Send(&pgproto3.ParameterStatus{Name: k, Value: v})
		}
	}
	sess.be.Send(&pgproto3.ParameterStatus{Name: "application_name", Value: sm.Parameters["application_name"]})
	sess.be.Send(&pgproto3.ParameterStatus{Name: "session_authorization", Value: sess.user})
	sess.be.Send(&pgproto3.ParameterStatus{Name: "is_superuser", Value: "off"})
	sess.be.Send(&pgproto3.BackendKeyData{ProcessID: sess.pid, SecretKey: sess.secret})
	sess.be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if err := sess.be.Flush(); err != nil {
		s.unregister(sess)
		return false, err
	}
	return true, nil
}

// fatal sends a FATAL error to the client; the caller then closes it.
func (sess *session) fatal(code, msg, hint string) error {
	sess.wmu.Lock()
	defer sess.wmu.Unlock()
	sess.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg, Hint: hint})
	if err := sess.be.Flush(); err != nil {
		return err
	}
	return errors.New(msg)
}

// endRotated ends a session whose key was rotated away: a FATAL
// admin_shutdown saying why when no transaction's results are being written
// (else the client just sees the connection close), then the connection
// closes; the session's own cleanup returns its server connection.
func (sess *session) endRotated() {
	if sess.wmu.TryLock() {
		sess.be.Send(&pgproto3.ErrorResponse{
			Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeAdminShutdown,
			Message: fmt.Sprintf("the keys of project %q were rotated", sess.ref), Hint: "Connect again with the new service_role key.",
		})
		_ = sess.be.Flush()
		sess.wmu.Unlock()
	}
	_ = sess.conn.Close()
}

// upstreamError tells the client why no server connection could be had.
// Internal details are logged under an error id, never sent.
func (sess *session) upstreamError(err error) error {
	switch {
	case errors.Is(err, errProjectPaused):
		return sess.fatal(codeCannotConnectNow, fmt.Sprintf("project %q is paused", sess.ref), "")
	case unavailable(err), errors.Is(err, context.DeadlineExceeded):
		return sess.fatal(codeTooManyConnections, "no server connection became free in time", "")
	case errors.Is(err, ErrStopped) || sess.srv.ctx.Err() != nil:
		return sess.fatal(codeAdminShutdown, "the server is shutting down", "")
	}
	id := errorID()
	sess.srv.log.Error("connecting to a project database", "ref", sess.ref, "role", sess.role, "err", err, "error_id", id)
	return sess.fatal(codeConnectionFailure, "could not connect to the project database (error_id "+id+")", "")
}

// unavailable reports whether err says the platform is out of capacity for
// now (the tenant's connection budget: its errors answer HTTPStatus 503).
func unavailable(err error) bool {
	var hs interface{ HTTPStatus() int }
	return errors.As(err, &hs) && hs.HTTPStatus() == 503
}

func errorID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// run forwards the client's messages, taking a server connection for each
// transaction, until the client leaves.
func (sess *session) run(ctx context.Context) {
	defer sess.detach()
	for {
		msg, err := sess.be.Receive()
		if err != nil {
			return // client gone
		}
		if _, ok := msg.(*pgproto3.Terminate); ok {
			return // never forwarded: it would end the server connection
		}
		a, outs, flush, err := sess.route(ctx, msg)
		if err != nil {
			_ = sess.upstreamError(err)
			return
		}
		if a == nil {
			continue
		}
		if err := a.forward(outs, flush); err != nil {
			sess.srv.log.Warn("writing to a project database", "ref", sess.ref, "err", err)
			return
		}
	}
}

// forward sends msgs to the server connection.
func (a *attachment) forward(msgs []pgproto3.FrontendMessage, flush bool) error {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	fe := a.pg.Frontend()
	for _, m := range msgs {
		fe.Send(m)
	}
	if flush {
		return fe.Flush()
	}
	return nil
}

// route picks the server connection for msg, acquiring one when the session
// has none, and records what msg asks of it. It returns the messages to
// send (msg or a replacement, after a statement it needs) and whether to
// flush after them.
func (sess *session) route(ctx context.Context, msg pgproto3.FrontendMessage) (*attachment, []pgproto3.FrontendMessage, bool, error) {
	var (
		out      = msg
		flush    bool
		pending  int
		synced   bool
		traits   sqlTraits
		needStmt *string // a prepared statement msg refers to
	)
	switch m := msg.(type) {
	case *pgproto3.Query:
		pending, flush = 1, true
		traits = scanSQL(m.String)
		if traits.listen {
			out = &pgproto3.Query{String: rejectListen}
		}
	case *pgproto3.Parse:
		traits = scanSQL(m.Query)
		if m.Name != "" {
			traits.session = true // lives on the server connection: deallocate before reuse
		}
		p := &pgproto3.Parse{Name: m.Name, Query: m.Query, ParameterOIDs: slices.Clone(m.ParameterOIDs)}
		if traits.listen {
			p.Query = rejectListen
		}
		sess.stmts[m.Name] = p
		out = p
	case *pgproto3.Bind:
		needStmt = &m.PreparedStatement
	case *pgproto3.Describe:
		if m.ObjectType == 'S' {
			needStmt = &m.Name
		}
	case *pgproto3.Close:
		if m.ObjectType == 'S' {
			delete(sess.stmts, m.Name)
		}
	case *pgproto3.Sync:
		pending, flush, synced = 1, true, true
	case *pgproto3.FunctionCall:
		pending, flush = 1, true
	case *pgproto3.Flush, *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		flush = true
	}
	update := func(a *attachment) []pgproto3.FrontendMessage {
		outs := []pgproto3.FrontendMessage{out}
		switch m := msg.(type) {
		case *pgproto3.Parse:
			a.prepared[m.Name] = true
			a.expect = append(a.expect, expectParse)
		case *pgproto3.Query:
			delete(a.prepared, "") // a simple query replaces the unnamed statement
			a.expect = append(a.expect, expectSync)
		case *pgproto3.Sync, *pgproto3.FunctionCall:
			a.expect = append(a.expect, expectSync)
		case *pgproto3.Close:
			if m.ObjectType == 'S' {
				delete(a.prepared, m.Name)
			}
		}
		if needStmt != nil && !a.prepared[*needStmt] {
			// Prepared in an earlier transaction, on another server
			// connection: prepare it here first, and hide the ParseComplete.
			if p, ok := sess.stmts[*needStmt]; ok {
				outs = []pgproto3.FrontendMessage{p, out}
				a.prepared[p.Name] = true
				a.expect = append(a.expect, expectInjected)
				a.dirty = a.dirty || p.Name != ""
			}
		}
		a.pending += pending
		switch {
		case synced:
			a.unsynced = false
		case pending == 0:
			switch msg.(type) {
			case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
			default:
				a.unsynced = true
			}
		}
		a.dirty = a.dirty || traits.session
		return outs
	}
	sess.mu.Lock()
	if a := sess.att; a != nil {
		outs := update(a)
		sess.mu.Unlock()
		return a, outs, flush, nil
	}
	sess.mu.Unlock()
	switch msg.(type) {
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		return nil, nil, false, nil // outside COPY: PostgreSQL ignores them too
	}

	pc, err := sess.srv.acquire(ctx, sess.ref, sess.role)
	if err != nil {
		return nil, nil, false, err
	}
	a := &attachment{pc: pc, pg: pc.Conn().PgConn(), tx: 'I', prepared: map[string]bool{}, done: make(chan struct{})}
	sess.mu.Lock()
	outs := update(a)
	sess.att = a
	sess.mu.Unlock()
	sess.srv.wg.Add(1)
	// The pump reads without a context (a context would cost a watcher
	// goroutine per message); detach and Stop wake it with a read deadline.
	go sess.pump(a) //nolint:gosec // see above

	return a, outs, flush, nil
}

// pump forwards the server connection's messages to the client until the
// transaction ends (ReadyForQuery 'I' with nothing in flight), then returns
// the connection to the pool.
func (sess *session) pump(a *attachment) {
	defer sess.srv.wg.Done()
	defer close(a.done)
	sess.wmu.Lock()
	locked := true
	unlock := func() {
		if locked {
			sess.wmu.Unlock()
			locked = false
		}
	}
	defer unlock()
	clientOK := true
	fe := a.pg.Frontend()
	for {
		msg, err := a.pg.ReceiveMessage(context.Background())
		if err != nil {
			sess.mu.Lock()
			if sess.att == a {
				sess.att = nil
			}
			sess.mu.Unlock()
			unlock()
			if !a.interrupted.Load() {
				// The server connection broke under a live client: the
				// client's session is gone with it.
				sess.srv.log.Warn("project database connection lost", "ref", sess.ref, "err", err)
				_ = sess.conn.Close()
			}
			sess.giveBack(a)
			return
		}
		detach, forward := false, true
		switch msg.(type) {
		case *pgproto3.ParseComplete:
			sess.mu.Lock()
			forward = !a.parseComplete()
			sess.mu.Unlock()
		case *pgproto3.ErrorResponse:
			sess.mu.Lock()
			a.failed()
			sess.mu.Unlock()
		}
		if rfq, ok := msg.(*pgproto3.ReadyForQuery); ok {
			sess.mu.Lock()
			a.ready()
			a.pending--
			a.tx = rfq.TxStatus
			if a.pending <= 0 && !a.unsynced && a.tx == 'I' {
				a.pending = 0
				detach = true
				sess.att = nil
			}
			sess.mu.Unlock()
		}
		if er, ok := msg.(*pgproto3.ErrorResponse); ok && er.Code == codeFeatureNotSupported && er.Message == listenMessage {
			er.Where = "" // not the client's PL/pgSQL
		}
		if clientOK {
			if forward {
				sess.be.Send(msg)
			}
			if detach || fe.ReadBufferLen() == 0 {
				if err := sess.be.Flush(); err != nil {
					clientOK = false // run sees the client gone and interrupts us
				}
			}
		}
		if detach {
			unlock()
			sess.giveBack(a)
			return
		}
	}
}

// giveBack returns a's connection to the pool clean, or destroys it: a
// connection is never returned inside a transaction or with session state
// a client left behind.
func (sess *session) giveBack(a *attachment) {
	sess.mu.Lock()
	inFlight, inTx, dirty := a.pending > 0 || a.unsynced, a.tx != 'I', a.dirty
	sess.mu.Unlock()
	a.wmu.Lock() // the run loop's last write happened before
	defer a.wmu.Unlock()
	pg := a.pg
	ctx, cancel := context.WithTimeout(context.Background(), resetTimeout)
	defer cancel()
	destroy := func(why string, err error) {
		sess.srv.log.Debug("destroying a server connection", "ref", sess.ref, "why", why, "err", err)
		_ = pg.Close(ctx)
		a.pc.Release() // a closed connection leaves the pool
	}
	if pg.IsClosed() {
		a.pc.Release()
		return
	}
	if inFlight {
		// The client left with a statement running or a pipeline open: what
		// the server is still doing is unknown, so the connection goes, and
		// the statement is canceled rather than left to run to its end.
		err := pg.CancelRequest(ctx)
		destroy("client left mid-statement", err)
		return
	}
	if err := pg.Conn().SetReadDeadline(time.Time{}); err != nil {
		destroy("clearing the deadline", err)
		return
	}
	if inTx || pg.TxStatus() != 'I' {
		if _, err := pg.Exec(ctx, "ROLLBACK").ReadAll(); err != nil {
			destroy("rollback", err)
			return
		}
	}
	if dirty {
		if _, err := pg.Exec(ctx, "DISCARD ALL").ReadAll(); err != nil {
			destroy("discard all", err)
			return
		}
	}
	a.pc.Release()
}

// detach ends the session's hold on its server connection, if any, when the
// client leaves: the pump is interrupted and cleans the connection up.
func (sess *session) detach() {
	sess.mu.Lock()
	a := sess.att
	if a != nil {
		// Under mu: the pump has not decided to give the connection back.
		a.interrupt()
	}
	sess.mu.Unlock()
	if a != nil {
		<-a.done
	}
}

// cancelUpstream sends a cancel request for the statement the session's
// server connection is running. session.mu is held meanwhile, so that the
// connection cannot pass to another client before the request is sent.
func (sess *session) cancelUpstream(ctx context.Context) {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if a := sess.att; a != nil && (a.pending > 0 || a.unsynced) {
		if err := a.pg.CancelRequest(ctx); err != nil {
			sess.srv.log.Debug("forwarding a cancel request", "ref", sess.ref, "err", err)
		}
	}
}
