package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/gate"
	"github.com/magflock/mobo/internal/httpx"
)

// roleCacheTTL bounds how long another node acts on changed role permissions.
const roleCacheTTL = 10 * time.Second

// Authorizer is the gate's RBAC stage ([gate.RoleAuthorizer]): a principal
// carrying roles (app_metadata.roles, or a key's roles) must hold one whose
// permissions cover the action. Key scopes are the gate's own check.
type Authorizer struct{ s *Service }

var _ gate.RoleAuthorizer = (*Authorizer)(nil)

// Authorizer returns the service's RBAC stage for the gate.
func (s *Service) Authorizer() *Authorizer { return &Authorizer{s: s} }

// AuthorizeRoles implements [gate.RoleAuthorizer]. Permissions name
// database resources (schema.relation); an action on a channel topic is
// covered by a permission whose resource is "*".
func (a *Authorizer) AuthorizeRoles(ctx context.Context, ref string, p *gate.Principal, act gate.Action) error {
	if len(p.Roles) == 0 {
		return nil
	}
	schema, relation := act.Schema, act.Relation
	if schema == "" && act.Topic == "" {
		schema = "public"
	}
	perms, err := a.s.rolePermissions(ctx, ref)
	if err != nil {
		return err
	}
	for _, r := range p.Roles {
		for _, perm := range perms[r] {
			if act.Topic != "" && perm.Resource != "*" {
				continue
			}
			if perm.allows(schema, relation, string(act.Op)) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: roles %s do not allow %s", gate.ErrForbidden, strings.Join(p.Roles, ","), act)
}

// permission is a row of auth.role_permissions.
type permission struct {
	Resource string   `json:"resource"` // schema.relation, schema.*, or *
	Actions  []string `json:"actions"`  // read, write, delete, execute, or *
}

func (pm permission) allows(schema, relation, op string) bool {
	if !slices.Contains(pm.Actions, op) && !slices.Contains(pm.Actions, "*") {
		return false
	}
	if pm.Resource == "*" {
		return true
	}
	s, r, ok := strings.Cut(pm.Resource, ".")
	if !ok {
		s, r = "public", pm.Resource
	}
	return (s == "*" || s == schema) && (r == "*" || r == relation)
}

// rolePermissions returns project ref's permissions by role, cached.
func (s *Service) rolePermissions(ctx context.Context, ref string) (map[string][]permission, error) {
	now := s.now()
	if perms, ok := getFresh(s.caches.roles, ref, now); ok {
		return perms, nil
	}
	p, err := s.project(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := p.pool.Query(ctx, `select role, resource, actions from auth.role_permissions`)
	if err != nil {
		return nil, fmt.Errorf("reading role permissions: %w", err)
	}
	perms := map[string][]permission{}
	var (
		role string
		pm   permission
	)
	_, err = pgx.ForEachRow(rows, []any{&role, &pm.Resource, &pm.Actions}, func() error {
		perms[role] = append(perms[role], permission{Resource: pm.Resource, Actions: slices.Clone(pm.Actions)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading role permissions: %w", err)
	}
	putUntil(s.caches.roles, ref, perms, now, now.Add(roleCacheTTL))
	return perms, nil
}

// Role is an RBAC role with its permissions.
type Role struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Permissions []permission `json:"permissions"`
}

// PutRole creates or replaces role r of project ref.
func (s *Service) PutRole(ctx context.Context, ref string, r Role) error {
	p, err := s.project(ctx, ref)
	if err != nil {
		return err
	}
	for _, pm := range r.Permissions {
		for _, a := range pm.Actions {
			switch a {
			case "read", "write", "delete", "execute", "*":
			default:
				return errValidation(fmt.Sprintf("action %q: want read, write, delete, execute or *", a))
			}
		}
		if pm.Resource == "" {
			return errValidation("a permission needs a resource")
		}
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `insert into auth.roles (name, description) values ($1, $2)
			on conflict (name) do update set description = excluded.description`, r.Name, r.Description); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `delete from auth.role_permissions where role = $1`, r.Name); err != nil {
			return err
		}
		for _, pm := range r.Permissions {
			if _, err := tx.Exec(ctx, `insert into auth.role_permissions (role, resource, actions) values ($1, $2, $3)
				on conflict (role, resource) do update set actions = excluded.actions`, r.Name, pm.Resource, pm.Actions); err != nil {
				return err
			}
		}
		return nil
	})
	if pgCheckViolation(err) {
		return errValidation("role names are lowercase letters, digits, _ and -")
	}
	if err != nil {
		return fmt.Errorf("storing role %q: %w", r.Name, err)
	}
	_ = s.caches.roles.Delete(ctx, ref)
	return nil
}

func (s *Service) handleListRoles(w http.ResponseWriter, r *http.Request, p *project) error {
	rows, err := p.pool.Query(r.Context(), `select r.name, r.description,
		coalesce(jsonb_agg(jsonb_build_object('resource', pm.resource, 'actions', pm.actions)) filter (where pm.role is not null), '[]')
		from auth.roles r left join auth.role_permissions pm on pm.role = r.name group by r.name order by r.name`)
	if err != nil {
		return err
	}
	roles, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Role, error) {
		var ro Role
		err := row.Scan(&ro.Name, &ro.Description, &ro.Permissions)
		return ro, err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"roles": roles})
	return nil
}

func (s *Service) handlePutRole(w http.ResponseWriter, r *http.Request, p *project) error {
	var ro Role
	if err := decode(r, &ro); err != nil {
		return err
	}
	if err := s.PutRole(r.Context(), p.ref, ro); err != nil {
		return err
	}
	s.audit(r.Context(), p.pool, clientIP(r), "role_updated", nil, map[string]any{"role": ro.Name})
	httpx.WriteJSON(w, http.StatusOK, ro)
	return nil
}

func (s *Service) handleDeleteRole(w http.ResponseWriter, r *http.Request, p *project) error {
	name := r.PathValue("name")
	if _, err := p.pool.Exec(r.Context(), `delete from auth.roles where name = $1`, name); err != nil {
		return err
	}
	if _, err := p.pool.Exec(r.Context(), `update auth.users set raw_app_meta_data = jsonb_set(raw_app_meta_data, '{roles}',
		(raw_app_meta_data->'roles') - $1) where raw_app_meta_data->'roles' ? $1`, name); err != nil {
		return err
	}
	_ = s.caches.roles.Delete(r.Context(), p.ref)
	s.audit(r.Context(), p.pool, clientIP(r), "role_deleted", nil, map[string]any{"role": name})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAdminSetUserRoles replaces a user's roles, in auth.user_roles and in
// app_metadata.roles (where tokens carry them).
func (s *Service) handleAdminSetUserRoles(w http.ResponseWriter, r *http.Request, p *project) error {
	var body struct {
		Roles []string `json:"roles"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Roles == nil {
		body.Roles = []string{}
	}
	id := r.PathValue("id")
	var u *user
	err := pgx.BeginFunc(r.Context(), p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(r.Context(), `delete from auth.user_roles where user_id = $1`, id); err != nil {
			return err
		}
		for _, ro := range body.Roles {
			if _, err := tx.Exec(r.Context(), `insert into auth.user_roles (user_id, role) values ($1, $2)`, id, ro); err != nil {
				if pgForeignKeyViolation(err) {
					return errValidation(fmt.Sprintf("unknown role %q or user", ro))
				}
				return err
			}
		}
		if _, err := tx.Exec(r.Context(), `update auth.users set raw_app_meta_data = raw_app_meta_data || jsonb_build_object('roles', $2::jsonb), updated_at = now() where id = $1`,
			id, body.Roles); err != nil {
			return err
		}
		var err error
		u, err = userByID(r.Context(), tx, id)
		if err == nil {
			s.audit(r.Context(), tx, clientIP(r), "user_roles_updated", u, map[string]any{"roles": body.Roles})
		}
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}
