package pgwire

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"
)

// fakeProjects knows one project, "p", whose database cannot be reached.
type fakeProjects struct{}

func (fakeProjects) ProjectState(ref string) (bool, bool) { return ref == "p", ref == "p" }

func (fakeProjects) ServiceKey(string) (string, error) { return "key", nil }

func (fakeProjects) TrackPool(*pgxpool.Pool) func() { return func() {} }

func (fakeProjects) PoolConfig(context.Context, string) (*pgxpool.Config, error) {
	return nil, errors.New("no database in this test")
}

func encode(t testing.TB, msgs ...pgproto3.FrontendMessage) []byte {
	t.Helper()
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// FuzzStartup feeds arbitrary bytes to the startup and SCRAM exchange: the
// session must end (no panic, no hang) without reaching a database.
func FuzzStartup(f *testing.F) {
	startup := &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "postgres", "database": "p"}}
	f.Add(encode(f, startup))
	f.Add(encode(f, &pgproto3.SSLRequest{}, startup))
	f.Add(encode(f, &pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add(encode(f, startup, &pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: []byte("n,,n=,r=abcdef")},
		&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcdef,p=AAAA")}))
	f.Add(encode(f, startup, &pgproto3.SASLInitialResponse{AuthMechanism: scramMechanism, Data: []byte("p=tls-server-end-point,,n=,r=x")}))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := New(Config{}, fakeProjects{}, slog.New(slog.DiscardHandler))
		defer s.scram.close() // never started, never stopped
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.ctx, s.sessions = ctx, map[uint32]*session{}
		client, server := net.Pipe()
		go func() {
			_, _ = client.Write(in)
			_ = client.Close()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		s.serveConn(ctx, server)
		_ = server.Close()
	})
}
