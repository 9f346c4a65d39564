// Package tenanttest gives API packages' tests a project database as the APIs
// see it, built once per test run as a pgtest template.
package tenanttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/pg/pgtest"
	"github.com/magflock/mobo/internal/tenant"
)

// testRolesSQL creates the shared API roles, tolerating concurrent creators
// (test binaries share one server). authenticator is there for tests that
// SET ROLE from it.
const testRolesSQL = `do $$ begin
  begin create role anon nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  begin create role authenticated nologin noinherit; exception when duplicate_object or unique_violation then null; end;
  begin create role service_role nologin noinherit bypassrls; exception when duplicate_object or unique_violation then null; end;
  begin create role authenticator login noinherit; exception when duplicate_object or unique_violation then null; end;
end $$`

// Template is a pgtest template of a project database as the APIs see
// it: the shared roles and mobo's project migrations, then fixtureSQL. API
// packages' tests (rest, graphql) use it instead of each writing its own.
// name tells templates apart; the version follows the migrations and the
// fixtures, so a change rebuilds the template.
func Template(name, fixtureSQL string) (pgtest.Option, error) {
	set, err := tenant.Migrations()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(testRolesSQL + fixtureSQL))
	version := set.Fingerprint() + hex.EncodeToString(sum[:8])
	return pgtest.Template(name, version, func(ctx context.Context, conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, testRolesSQL); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		if _, err := set.Up(ctx, conn); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, fixtureSQL); err != nil {
			return fmt.Errorf("fixtures: %w", err)
		}
		return nil
	}), nil
}
