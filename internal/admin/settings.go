package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/magflock/mobo/internal/httpx"
)

// Settings is what the admin API needs to show and change one API's
// settings of a project (REST: PostgREST's configuration, exposed schemas,
// max_rows, …; auth: sign-up, confirmation, token and password settings).
// Both methods return the settings as a JSON object with the project's
// overrides and the effective values. Errors that are the client's doing
// implement HTTPStatus() int.
type Settings interface {
	ProjectConfig(ctx context.Context, ref string) (json.RawMessage, error)
	// PatchProjectConfig applies patch, a JSON object of settings where
	// null restores the platform default, and returns the result.
	PatchProjectConfig(ctx context.Context, ref string, patch json.RawMessage) (json.RawMessage, error)
}

// RESTConfig is the REST API's [Settings].
type RESTConfig = Settings

// mountSettings serves an API's settings at /admin/v1/projects/{ref}/name.
func (a *API) mountSettings(mux *http.ServeMux, name string, s Settings) {
	path := "/admin/v1/projects/{ref}/" + name
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		out, err := s.ProjectConfig(r.Context(), r.PathValue("ref"))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeRaw(w, out)
	})
	mux.HandleFunc("PATCH "+path, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			bodyError(w, err)
			return
		}
		if !json.Valid(body) {
			writeError(w, http.StatusBadRequest, "bad_json", "the body must be a JSON object of settings")
			return
		}
		out, err := s.PatchProjectConfig(r.Context(), r.PathValue("ref"), body)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeRaw(w, out)
	})
}

func writeRaw(w http.ResponseWriter, b json.RawMessage) {
	httpx.WriteJSON(w, http.StatusOK, b)
}
