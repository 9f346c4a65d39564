package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/magflock/mobo/internal/admin"
	"github.com/magflock/mobo/internal/dbmigrate"
	"github.com/magflock/mobo/internal/tenant"
)

// Migration directories, searched in this order when --dir is not given.
const (
	supabaseMigrationsDir = "supabase/migrations"
	moboMigrationsDir     = "migrations"
)

// newMigrationTemplate is the body of `migration new` under migrations/.
// Under supabase/migrations the file is left empty: Supabase's CLI would run
// a down part as part of the migration.
const newMigrationTemplate = dbmigrate.MarkerUp + "\n\n\n" + dbmigrate.MarkerDown + "\n\n"

func newDBCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Work with a project's database: migrations, psql",
	}
	mig := &cobra.Command{
		Use:     "migration",
		Aliases: []string{"migrations"},
		Short:   "Write and apply a project's SQL migrations",
		Long: `Migrations are files VERSION_NAME.sql in supabase/migrations if that directory
exists, else in migrations (or --dir). A file holds an up part and, optionally, a
down part, each after a marker line:

  -- +migrate Up
  create table notes (id bigint primary key, body text);

  -- +migrate Down
  drop table notes;

A file without markers (Supabase's style) is all up part and cannot be reverted.
Each migration runs in its own transaction with its record; a failed one leaves the
database as it was before it. Applied versions are recorded with a checksum in the
project database (supabase_migrations.schema_migrations); changing an applied file is
an error until "repair --status applied" accepts it.

The commands read the local files and send them to the running server, which
applies them to the project database.`,
	}
	mig.PersistentFlags().String("project", tenant.DefaultRef, "project ref")
	mig.PersistentFlags().String("dir", "", "migrations directory (default: "+supabaseMigrationsDir+" if it exists, else "+moboMigrationsDir+")")
	mig.AddCommand(migrationNewCmd(), migrationUpCmd(), migrationDownCmd(), migrationStatusCmd(), migrationRepairCmd())
	allowOffline(mig)
	cmd.AddCommand(mig, dbPsqlCmd())
	return cmd
}

// migrationsDir is --dir, else supabase/migrations if it is a directory,
// else migrations.
func migrationsDir(cmd *cobra.Command) string {
	if d, _ := cmd.Flags().GetString("dir"); d != "" {
		return d
	}
	if st, err := os.Stat(supabaseMigrationsDir); err == nil && st.IsDir() {
		return supabaseMigrationsDir
	}
	return moboMigrationsDir
}

// localMigrations reads and checks the migration files. A missing directory
// is no files when allowMissing, else an error.
func localMigrations(cmd *cobra.Command, allowMissing bool) ([]admin.MigrationFile, []dbmigrate.Migration, error) {
	dir := migrationsDir(cmd)
	files, err := dbmigrate.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if allowMissing {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("no migrations directory %s (mobo db migration new NAME creates one)", absPath(dir))
	}
	if err != nil {
		return nil, nil, err
	}
	migs, err := dbmigrate.Parse(files)
	if err != nil {
		return nil, nil, err
	}
	out := make([]admin.MigrationFile, len(files))
	for i, f := range files {
		out[i] = admin.MigrationFile(f)
	}
	return out, migs, nil
}

func migrationsPath(cmd *cobra.Command, suffix string) string {
	ref, _ := cmd.Flags().GetString("project")
	return "/admin/v1/projects/" + url.PathEscape(ref) + "/migrations" + suffix
}

var migrationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

func migrationNewCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new migration file VERSION_NAME.sql, VERSION being the UTC time",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.ReplaceAll(strings.TrimSpace(args[0]), " ", "_")
			if !migrationName.MatchString(name) {
				return fmt.Errorf("migration name %q: use letters, digits, _ and -", args[0])
			}
			dir := migrationsDir(cmd)
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return fmt.Errorf("creating %s: %w", dir, err)
			}
			version := time.Now().UTC().Format("20060102150405")
			path := filepath.Join(dir, version+"_"+name+".sql")
			body := newMigrationTemplate
			if filepath.Clean(dir) == filepath.Clean(supabaseMigrationsDir) {
				body = ""
			}
			f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644) //nolint:gosec // a source file, not a secret
			if err != nil {
				return fmt.Errorf("writing migration: %w", err)
			}
			_, err = f.WriteString(body)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("writing migration: %w", err)
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), map[string]string{"path": path, "version": version, "name": name})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s\n", path)
			return nil
		},
	}
}

func migrationUpCmd() *cobra.Command {
	var includeAll bool
	c := &cobra.Command{
		Use:   "up",
		Short: "Apply the pending migrations to the project database, each in its own transaction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, _, err := localMigrations(cmd, false)
			if err != nil {
				return err
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var res struct {
				Applied []admin.MigrationRef `json:"applied"`
			}
			body := map[string]any{"files": files, "include_all": includeAll}
			if err := t.do(cmd.Context(), "POST", migrationsPath(cmd, "/up"), body, &res); err != nil {
				return err
			}
			return printMigrationRefs(cmd, res, "applied", res.Applied, "no pending migrations")
		},
	}
	c.Flags().BoolVar(&includeAll, "include-all", false, "also apply pending migrations older than the last applied one")
	return c
}

func migrationDownCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "down [N]",
		Short: "Revert the last applied migration, or the last N, running their down parts",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 1
			if len(args) == 1 {
				var err error
				if n, err = strconv.Atoi(args[0]); err != nil || n < 1 {
					return fmt.Errorf("down %q: N must be a positive number", args[0])
				}
			}
			files, _, err := localMigrations(cmd, false)
			if err != nil {
				return err
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var res struct {
				Reverted []admin.MigrationRef `json:"reverted"`
			}
			if err := t.do(cmd.Context(), "POST", migrationsPath(cmd, "/down"), map[string]any{"files": files, "count": n}, &res); err != nil {
				return err
			}
			return printMigrationRefs(cmd, res, "reverted", res.Reverted, "nothing reverted")
		},
	}
}

func printMigrationRefs(cmd *cobra.Command, res any, verb string, list []admin.MigrationRef, none string) error {
	out := cmd.OutOrStdout()
	if jsonFlag(cmd) {
		return printJSON(out, res)
	}
	if len(list) == 0 {
		fmt.Fprintln(out, none)
	}
	for _, m := range list {
		fmt.Fprintf(out, "%s %s_%s\n", verb, m.Version, m.Name)
	}
	return nil
}

func migrationStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the migrations: applied, pending, changed (applied, file edited since) or missing (applied, no file)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, migs, err := localMigrations(cmd, true)
			if err != nil {
				return err
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var applied []admin.AppliedMigration
			if err := t.get(cmd.Context(), migrationsPath(cmd, ""), &applied); err != nil {
				return err
			}
			recs := make([]dbmigrate.Record, len(applied))
			for i, a := range applied {
				recs[i] = dbmigrate.Record(a)
			}
			entries := dbmigrate.Compare(migs, recs)
			out := cmd.OutOrStdout()
			if jsonFlag(cmd) {
				return printJSON(out, entries)
			}
			if len(entries) == 0 {
				fmt.Fprintf(out, "no migrations (directory %s)\n", absPath(migrationsDir(cmd)))
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tNAME\tSTATE\tDOWN\tAPPLIED AT")
			for _, e := range entries {
				down, at := "no", "-"
				if e.HasDown {
					down = "yes"
				}
				if !e.AppliedAt.IsZero() {
					at = e.AppliedAt.Local().Format(time.DateTime)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Version, e.Name, e.State, down, at)
			}
			return tw.Flush()
		},
	}
}

func migrationRepairCmd() *cobra.Command {
	var status string
	c := &cobra.Command{
		Use:   "repair --status applied|reverted VERSION...",
		Short: "Mark migrations applied (recording their files as they are) or reverted, without running them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if status != string(dbmigrate.RepairApplied) && status != string(dbmigrate.RepairReverted) {
				return errors.New(`--status must be "applied" or "reverted"`)
			}
			files, _, err := localMigrations(cmd, status == string(dbmigrate.RepairReverted))
			if err != nil {
				return err
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			body := map[string]any{"files": files, "status": status, "versions": args}
			var res map[string]any
			if err := t.do(cmd.Context(), "POST", migrationsPath(cmd, "/repair"), body, &res); err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return printJSON(cmd.OutOrStdout(), res)
			}
			for _, v := range args {
				fmt.Fprintf(cmd.OutOrStdout(), "marked %s %s\n", v, status)
			}
			return nil
		},
	}
	c.Flags().StringVar(&status, "status", "", "applied or reverted")
	_ = c.MarkFlagRequired("status")
	return c
}

func dbPsqlCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "psql [REF] [-- PSQL ARGS...]",
		Short: "Open psql on a project's database (default project: default)",
		Long: `Open psql on a project's database on the running server's PostgreSQL.

psql connects as the project's owner role in managed mode (<ref>_owner: it owns the
database, creates tables, and what it creates is granted to the API roles as in
Supabase; it cannot connect to other projects' databases), and as the user of
--database-url in external mode. The server tells the CLI where to
connect (GET /admin/v1/projects/REF/connection, authorised by the admin key); the
password goes to psql in PGPASSWORD, never on its command line.

psql is the one beside the server's PostgreSQL programs when there is one, else the
one on PATH. Arguments after -- go to psql, e.g. mobo db psql shop -- -c 'select 1'.`,
		Args: func(cmd *cobra.Command, args []string) error {
			n := len(args)
			if d := cmd.ArgsLenAtDash(); d >= 0 {
				n = d
			}
			if n > 1 {
				return fmt.Errorf("psql takes at most one project ref, got %d (psql's own arguments go after --)", n)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, extra := tenant.DefaultRef, args
			if d := cmd.ArgsLenAtDash(); d != 0 && len(args) > 0 {
				ref, extra = args[0], args[1:]
			}
			t, err := findServer(cmd, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			var c admin.Connection
			if err := t.get(cmd.Context(), "/admin/v1/projects/"+url.PathEscape(ref)+"/connection", &c); err != nil {
				return err
			}
			psql, err := findPsql(c.BinDir)
			if err != nil {
				return err
			}
			env := make([]string, 0, len(os.Environ())+1)
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "PGPASSWORD=") {
					env = append(env, kv)
				}
			}
			env = append(env, "PGPASSWORD="+c.Password)
			argv := append([]string{"psql", c.URL}, extra...)
			if err := syscall.Exec(psql, argv, env); err != nil {
				return fmt.Errorf("running %s: %w", psql, err)
			}
			return nil
		},
	}
}

// findPsql prefers the psql beside the server's PostgreSQL programs (the
// same version), then the one on PATH.
func findPsql(binDir string) (string, error) {
	if binDir != "" {
		p := filepath.Join(binDir, "psql")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath("psql")
	if err != nil {
		return "", errors.New("psql not found beside the server's PostgreSQL programs nor on PATH: install the PostgreSQL client (apt-get install postgresql-client, brew install libpq)")
	}
	return p, nil
}
