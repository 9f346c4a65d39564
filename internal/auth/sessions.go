package auth

import (
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/httpx"
)

// sessionJSON is one row of auth.sessions as the admin API shows it.
type sessionJSON struct {
	ID          string     `json:"id"`
	UserID      string     `json:"user_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	RefreshedAt *time.Time `json:"refreshed_at"`
	AAL         string     `json:"aal"`
	FactorID    *string    `json:"factor_id"`
	UserAgent   string     `json:"user_agent"`
	IP          string     `json:"ip"`
}

// handleAdminListSessions lists a user's live sessions, newest first.
func (s *Service) handleAdminListSessions(w http.ResponseWriter, r *http.Request, p *project) error {
	id := r.PathValue("id")
	if _, err := newUUIDCheck(id); err != nil {
		return errUserNotFound
	}
	rows, err := p.pool.Query(r.Context(), `select id, user_id, created_at, updated_at, refreshed_at at time zone 'utc', aal::text, factor_id,
		coalesce(user_agent, ''), coalesce(host(ip), '') from auth.sessions where user_id = $1 order by created_at desc`, id)
	if err != nil {
		return err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (sessionJSON, error) {
		var sj sessionJSON
		err := row.Scan(&sj.ID, &sj.UserID, &sj.CreatedAt, &sj.UpdatedAt, &sj.RefreshedAt, &sj.AAL, &sj.FactorID, &sj.UserAgent, &sj.IP)
		return sj, err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

// handleAdminDeleteSessions ends one session of a user ({sid}) or all of them.
func (s *Service) handleAdminDeleteSessions(w http.ResponseWriter, r *http.Request, p *project) error {
	id := r.PathValue("id")
	if _, err := newUUIDCheck(id); err != nil {
		return errUserNotFound
	}
	u, err := userByID(r.Context(), p.pool, id)
	if err != nil {
		return err
	}
	sid := r.PathValue("sid")
	if sid != "" {
		if _, err := newUUIDCheck(sid); err != nil {
			return apiErr(http.StatusNotFound, "session_not_found", "Session not found")
		}
		tag, err := p.pool.Exec(r.Context(), `delete from auth.sessions where user_id = $1 and id = $2`, id, sid)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return apiErr(http.StatusNotFound, "session_not_found", "Session not found")
		}
	} else if _, err := p.pool.Exec(r.Context(), `delete from auth.sessions where user_id = $1`, id); err != nil {
		return err
	}
	s.audit(r.Context(), p.pool, clientIP(r), "token_revoked", u, map[string]any{"session_id": sid, "by": "admin"})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
