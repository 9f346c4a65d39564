package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/magflock/mobo/internal/httpx"
)

// RESTConfig is what the admin API needs to show and change a project's
// REST settings (PostgREST's configuration: exposed schemas, max_rows, …).
// Both methods return the settings as a JSON object with the project's
// overrides and the effective values. Errors that are the client's doing
// implement HTTPStatus() int.
type RESTConfig interface {
	ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error)
	// PatchProjectConfig applies patch, a JSON object of settings where
	// null restores the platform default, and returns the result.
	PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error)
}

// SetRESTConfig enables /admin/v1/projects/{ref}/rest. Call it before Start.
func (a *API) SetRESTConfig(c RESTConfig) { a.rest = c }

func (a *API) mountREST(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/v1/projects/{ref}/rest", a.getRESTConfig)
	mux.HandleFunc("PATCH /admin/v1/projects/{ref}/rest", a.patchRESTConfig)
}

func (a *API) getRESTConfig(w http.ResponseWriter, r *http.Request) {
	out, err := a.rest.ProjectConfig(r.Context(), r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeRaw(w, out)
}

func (a *API) patchRESTConfig(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil || !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "bad_json", "the body must be a JSON object of settings")
		return
	}
	out, err := a.rest.PatchProjectConfig(r.Context(), r.PathValue("ref"), body)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeRaw(w, out)
}

func writeRaw(w http.ResponseWriter, b json.RawMessage) {
	httpx.WriteJSON(w, http.StatusOK, b)
}
