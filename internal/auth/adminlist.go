package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/httpx"
)

// maxPerPage bounds a page of the admin user list.
const maxPerPage = 1000

// checkUserID refuses a user id that is not a UUID as GoTrue's loadUser does.
func checkUserID(id string) error {
	if _, err := newUUIDCheck(id); err != nil {
		return apiErr(http.StatusNotFound, "validation_failed", "user_id must be an UUID")
	}
	return nil
}

// userPage is a page of the admin user list, as GoTrue reads it.
type userPage struct {
	page, perPage int
	asc           bool   // sort=created_at asc; GoTrue's default is newest first
	filter        string // part of the email or of user_metadata.full_name
}

// parseUserPage reads page, per_page, sort and filter; a value GoTrue
// refuses is a 400 validation_failed with GoTrue's message.
func parseUserPage(q url.Values) (userPage, error) {
	p := userPage{page: 1, perPage: 50, filter: q.Get("filter")}
	bad := func(err error) error { return errValidation("Bad Pagination Parameters: " + err.Error()) }
	if v := q.Get("page"); v != "" {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return p, bad(err)
		}
		p.page = max(int(n), 1)
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			return p, bad(err)
		}
		if n == 0 {
			return p, bad(errors.New("per_page must be greater than 0"))
		}
		p.perPage = min(int(n), maxPerPage)
	}
	asc, err := parseUserSort(q["sort"])
	p.asc = asc
	return p, err
}

// parseUserSort reads GoTrue's sort values ("created_at", "created_at asc"):
// whether the list runs oldest first.
func parseUserSort(values []string) (asc bool, err error) {
	for _, v := range values {
		field, dir, _ := strings.Cut(v, " ")
		if field != "created_at" {
			return false, errValidation(fmt.Sprintf("Bad Sort Parameters: bad field for sort '%s'", field))
		}
		switch strings.ToUpper(dir) {
		case "", "DESC":
			asc = false
		case "ASC":
			asc = true
		default:
			return false, errValidation(fmt.Sprintf("Bad Sort Parameters: bad direction for sort '%s', only 'asc' and 'desc' allowed", dir))
		}
	}
	return asc, nil
}

// handleAdminListUsers lists the users a page at a time, newest first, with
// GoTrue's X-Total-Count and Link headers.
func (s *Service) handleAdminListUsers(w http.ResponseWriter, r *http.Request, p *project) error {
	pg, err := parseUserPage(r.URL.Query())
	if err != nil {
		return err
	}
	total, users, err := listUsers(r.Context(), p.pool, pg)
	if err != nil {
		return err
	}
	w.Header().Set("Link", pageLinks(r.URL, pg, total))
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"users": users, "aud": "authenticated"})
	return nil
}

func listUsers(ctx context.Context, q querier, pg userPage) (int, []*userJSON, error) {
	// The filter is a bound LIKE pattern whose own wildcards are escaped.
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(pg.filter) + "%"
	const where = `deleted_at is null and ($1 = '%%' or email ilike $1 or raw_user_meta_data->>'full_name' ilike $1)`
	var total int
	if err := q.QueryRow(ctx, `select count(*) from auth.users where `+where, like).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("counting users: %w", err)
	}
	order := `created_at desc, id desc`
	if pg.asc {
		order = `created_at, id`
	}
	rows, err := q.Query(ctx, `select id from auth.users where `+where+` order by `+order+` limit $2 offset $3`,
		like, pg.perPage, (pg.page-1)*pg.perPage)
	if err != nil {
		return 0, nil, fmt.Errorf("listing users: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, nil, fmt.Errorf("listing users: %w", err)
	}
	users := make([]*userJSON, 0, len(ids))
	for _, id := range ids {
		u, err := userByID(ctx, q, id)
		if err != nil {
			return 0, nil, err
		}
		users = append(users, u.JSON())
	}
	return total, users, nil
}

// pageLinks is GoTrue's Link header: the request's own URL with page set,
// rel="next" while there is a next page, and always rel="last".
func pageLinks(u *url.URL, pg userPage, total int) string {
	last := (total + pg.perPage - 1) / pg.perPage
	link := func(page int, rel string) string {
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		c := url.URL{Path: u.Path, RawQuery: q.Encode()}
		return fmt.Sprintf(`<%s>; rel="%s"`, c.String(), rel)
	}
	if pg.page < last {
		return link(pg.page+1, "next") + ", " + link(last, "last")
	}
	return link(last, "last")
}
