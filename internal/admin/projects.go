package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/magflock/mobo/internal/httpx"
)

// Project is a project as the admin API shows it.
type Project struct {
	Ref        string    `json:"ref"`
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	Database   string    `json:"database"`
	APIURL     string    `json:"api_url,omitempty"`
	AnonKey    string    `json:"anon_key,omitempty"`
	ServiceKey string    `json:"service_key,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Limits     *Limits   `json:"limits,omitempty"`
	OverQuota  bool      `json:"over_quota,omitempty"`
}

// Limits are a project's own limits; zero means the platform default.
type Limits struct {
	MaxConnections   int    `json:"max_connections"`
	StatementTimeout string `json:"statement_timeout"` // a Go duration, "" for the default
	DBSizeLimit      int64  `json:"db_size_limit"`     // bytes
	RequestRate      string `json:"request_rate"`      // "100/s"
}

// Usage is what a project uses now.
type Usage struct {
	Ref          string `json:"ref"`
	SizeBytes    int64  `json:"size_bytes"`
	RowsEstimate int64  `json:"rows_estimate"`
	Connections  int32  `json:"connections"`
	Requests     int64  `json:"requests"` // since this server started
}

// Projects is what the admin API needs to manage projects. Errors that are
// the client's doing implement HTTPStatus() int.
type Projects interface {
	ListProjects(ctx context.Context) ([]Project, error)
	GetProject(ctx context.Context, ref string) (Project, error)
	CreateProject(ctx context.Context, ref, name string) (Project, error)
	RenameProject(ctx context.Context, ref, name string) error
	PauseProject(ctx context.Context, ref string) error
	ResumeProject(ctx context.Context, ref string) error
	// DeleteProject returns the path of the final dump, or "" with noDump.
	DeleteProject(ctx context.Context, ref string, noDump bool) (string, error)
	SetProjectLimits(ctx context.Context, ref string, l Limits) error
	// RotateProjectKeys issues a new JWT secret with new anon and
	// service_role keys and returns the project with them.
	RotateProjectKeys(ctx context.Context, ref string) (Project, error)
	ProjectUsage(ctx context.Context, ref string) (Usage, error)
}

func (a *API) mountProjects(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/v1/projects", a.listProjects)
	mux.HandleFunc("POST /admin/v1/projects", a.createProject)
	mux.HandleFunc("GET /admin/v1/projects/{ref}", a.getProject)
	mux.HandleFunc("PATCH /admin/v1/projects/{ref}", a.updateProject)
	mux.HandleFunc("DELETE /admin/v1/projects/{ref}", a.deleteProject)
	mux.HandleFunc("GET /admin/v1/projects/{ref}/usage", a.projectUsage)
	mux.HandleFunc("POST /admin/v1/projects/{ref}/keys/rotate", a.rotateKeys)
}

// rotateKeys answers with the project and its new keys. Like a deletion it
// asks for the ref again in ?confirm=: every client of the project must
// then be given the new anon key.
func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	if r.URL.Query().Get("confirm") != ref {
		writeError(w, http.StatusBadRequest, "confirmation_required", "repeat the project ref in ?confirm= to rotate its keys")
		return
	}
	p, err := a.projects.RotateProjectKeys(r.Context(), ref)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (a *API) projectUsage(w http.ResponseWriter, r *http.Request) {
	u, err := a.projects.ProjectUsage(r.Context(), r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, u)
}

func (a *API) listProjects(w http.ResponseWriter, r *http.Request) {
	list, err := a.projects.ListProjects(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	for i := range list { // keys only when asked for one project
		list[i].AnonKey, list[i].ServiceKey = "", ""
	}
	httpx.WriteJSON(w, http.StatusOK, list)
}

func (a *API) getProject(w http.ResponseWriter, r *http.Request) {
	p, err := a.projects.GetProject(r.Context(), r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, p)
}

func (a *API) createProject(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Ref  string `json:"ref"`
		Name string `json:"name"`
	}
	if !decode(w, r, &body) {
		return
	}
	p, err := a.projects.CreateProject(r.Context(), body.Ref, body.Name)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, p)
}

func (a *API) updateProject(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name   *string `json:"name"`
		Status *string `json:"status"`
		Limits *Limits `json:"limits"`
	}
	if !decode(w, r, &body) {
		return
	}
	ref := r.PathValue("ref")
	ctx := r.Context()
	var err error
	if body.Name != nil {
		err = a.projects.RenameProject(ctx, ref, *body.Name)
	}
	if err == nil && body.Limits != nil {
		err = a.projects.SetProjectLimits(ctx, ref, *body.Limits)
	}
	if err == nil && body.Status != nil {
		switch *body.Status {
		case "paused":
			err = a.projects.PauseProject(ctx, ref)
		case "active":
			err = a.projects.ResumeProject(ctx, ref)
		default:
			writeError(w, http.StatusBadRequest, "bad_request", `status must be "paused" or "active"`)
			return
		}
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.getProject(w, r)
}

func (a *API) deleteProject(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("ref")
	if r.URL.Query().Get("confirm") != ref {
		writeError(w, http.StatusBadRequest, "confirmation_required", "repeat the project ref in ?confirm= to delete it")
		return
	}
	dump, err := a.projects.DeleteProject(r.Context(), ref, r.URL.Query().Get("dump") == "false")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"ref": ref, "dump": dump})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeAtMost(w, r, v, maxBody)
}

// maxBody bounds an admin request's body (a migrations directory excepted).
const maxBody = 1 << 20

// decodeAtMost decodes a JSON body of at most limit bytes into v, answering
// a 413 beyond the limit and a 400 for anything else wrong.
func decodeAtMost(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		bodyError(w, err)
		return false
	}
	return true
}

// bodyError answers a body that could not be read or decoded.
func bodyError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "the body is larger than "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
		return
	}
	writeError(w, http.StatusBadRequest, "bad_json", "invalid JSON body: "+err.Error())
}

// fail writes a client error with its status, or a 500 with an error id that
// the log carries with the details.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se interface{ HTTPStatus() int }
	if errors.As(err, &se) && se.HTTPStatus() < 500 {
		writeError(w, se.HTTPStatus(), "invalid", err.Error())
		return
	}
	id := httpx.RequestID(r.Context())
	a.log.ErrorContext(r.Context(), "admin request failed", "request_id", id, "path", r.URL.Path, "err", err)
	httpx.WriteJSON(w, http.StatusInternalServerError, map[string]string{"code": "internal", "message": "internal error", "error_id": id})
}
