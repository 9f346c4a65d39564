package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/magflock/mobo/internal/httpx"
)

// MigrationFile is a migration file as the CLI sends it: the base name
// (VERSION_NAME.sql) and the content.
type MigrationFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// AppliedMigration is the record of an applied migration. Checksum and
// AppliedAt are empty in records written by Supabase's CLI.
type AppliedMigration struct {
	Version   string    `json:"version"`
	Name      string    `json:"name"`
	Checksum  string    `json:"checksum,omitempty"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

// MigrationRef names a migration that was applied or reverted.
type MigrationRef struct {
	Version string `json:"version"`
	Name    string `json:"name"`
}

// Connection says how to reach a project's database directly. The URL has
// no password; Password is given apart so that clients can pass it in
// PGPASSWORD rather than on a command line.
type Connection struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Password string `json:"password"`
	Database string `json:"database"`
	// Superuser is true when User is the cluster's superuser rather than a
	// role of the project.
	Superuser bool `json:"superuser"`
	// BinDir is where the server's PostgreSQL programs are, psql usually
	// among them; "" when unknown (external mode).
	BinDir string `json:"bin_dir,omitempty"`
}

// Databases is what the admin API needs for a project database's user
// migrations and direct connections. Each call may block on the database; a
// call for a paused project fails. Errors that are the client's doing (a bad
// file, a changed applied file, a migration's SQL failing) implement
// HTTPStatus() int.
type Databases interface {
	// AppliedMigrations lists project ref's applied migrations in version order.
	AppliedMigrations(ctx context.Context, ref string) ([]AppliedMigration, error)
	// MigrateUp applies the pending migrations among files, each in its own
	// transaction, and returns those applied, also when a later one failed.
	MigrateUp(ctx context.Context, ref string, files []MigrationFile, includeAll bool) ([]MigrationRef, error)
	// MigrateDown reverts the last n applied migrations, newest first,
	// running the down parts of their files.
	MigrateDown(ctx context.Context, ref string, files []MigrationFile, n int) ([]MigrationRef, error)
	// RepairMigrations marks versions "applied" or "reverted" without running them.
	RepairMigrations(ctx context.Context, ref string, files []MigrationFile, status string, versions []string) error
	// ProjectConnection returns how to connect to project ref's database.
	ProjectConnection(ctx context.Context, ref string) (Connection, error)
}

// maxMigrationsBody bounds a request carrying a migrations directory:
// schema dumps run to megabytes.
const maxMigrationsBody = 64 << 20

func (a *API) mountDatabases(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/v1/projects/{ref}/migrations", a.listMigrations)
	mux.HandleFunc("POST /admin/v1/projects/{ref}/migrations/up", a.migrateUp)
	mux.HandleFunc("POST /admin/v1/projects/{ref}/migrations/down", a.migrateDown)
	mux.HandleFunc("POST /admin/v1/projects/{ref}/migrations/repair", a.repairMigrations)
	mux.HandleFunc("GET /admin/v1/projects/{ref}/connection", a.connection)
}

func (a *API) listMigrations(w http.ResponseWriter, r *http.Request) {
	list, err := a.dbs.AppliedMigrations(r.Context(), r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if list == nil {
		list = []AppliedMigration{}
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

func (a *API) migrateUp(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Files      []MigrationFile `json:"files"`
		IncludeAll bool            `json:"include_all"`
	}
	if !decodeLarge(w, r, &body) {
		return
	}
	done, err := a.dbs.MigrateUp(r.Context(), r.PathValue("ref"), body.Files, body.IncludeAll)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string][]MigrationRef{"applied": nonNil(done)})
}

func (a *API) migrateDown(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Files []MigrationFile `json:"files"`
		Count *int            `json:"count"`
	}
	if !decodeLarge(w, r, &body) {
		return
	}
	n := 1
	if body.Count != nil {
		n = *body.Count
	}
	if n < 1 {
		writeError(w, http.StatusBadRequest, "bad_request", "count must be at least 1")
		return
	}
	done, err := a.dbs.MigrateDown(r.Context(), r.PathValue("ref"), body.Files, n)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string][]MigrationRef{"reverted": nonNil(done)})
}

func (a *API) repairMigrations(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Files    []MigrationFile `json:"files"`
		Status   string          `json:"status"`
		Versions []string        `json:"versions"`
	}
	if !decodeLarge(w, r, &body) {
		return
	}
	if body.Status != "applied" && body.Status != "reverted" {
		writeError(w, http.StatusBadRequest, "bad_request", `status must be "applied" or "reverted"`)
		return
	}
	if len(body.Versions) == 0 {
		writeError(w, http.StatusBadRequest, "bad_request", "versions must name at least one migration version")
		return
	}
	if err := a.dbs.RepairMigrations(r.Context(), r.PathValue("ref"), body.Files, body.Status, body.Versions); err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"status": body.Status, "versions": body.Versions})
}

func (a *API) connection(w http.ResponseWriter, r *http.Request) {
	c, err := a.dbs.ProjectConnection(r.Context(), r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // it carries a password
	httpx.WriteJSON(w, http.StatusOK, c)
}

// decodeLarge is decode with room for a migrations directory.
func decodeLarge(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeAtMost(w, r, v, maxMigrationsBody)
}

func nonNil(l []MigrationRef) []MigrationRef {
	if l == nil {
		return []MigrationRef{}
	}
	return l
}
