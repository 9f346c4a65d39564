package auth

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/httpx"
)

type adminUserBody struct {
	Email        *string        `json:"email"`
	Phone        *string        `json:"phone"`
	Password     *string        `json:"password"`
	EmailConfirm bool           `json:"email_confirm"`
	PhoneConfirm bool           `json:"phone_confirm"`
	UserMetaData map[string]any `json:"user_metadata"`
	AppMetaData  map[string]any `json:"app_metadata"`
	BanDuration  string         `json:"ban_duration"`
	Role         string         `json:"role"`
}

func (s *Service) handleAdminCreateUser(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b adminUserBody
	if err := decode(r, &b); err != nil {
		return err
	}
	n := newUser{UserMetaData: b.UserMetaData, AppMetaData: b.AppMetaData, Role: b.Role, EmailConfirmed: b.EmailConfirm, PhoneConfirmed: b.PhoneConfirm}
	if b.Email != nil {
		n.Email = normalizeEmail(*b.Email)
		if err := validEmail(n.Email); err != nil {
			return err
		}
	}
	if b.Phone != nil {
		ph, err := normalizePhone(*b.Phone)
		if err != nil {
			return err
		}
		n.Phone = ph
	}
	if n.Email == "" && n.Phone == "" {
		return errValidation("Unable to validate email address: invalid format")
	}
	if b.Password != nil {
		if err := s.checkStrength(r.Context(), *b.Password); err != nil {
			return err
		}
		h, err := s.hashPassword(*b.Password)
		if err != nil {
			return err
		}
		n.PasswordHash = h
	}
	var u *user
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		if u, err = s.insertUser(ctx, tx, n); err != nil {
			return err
		}
		if b.BanDuration != "" {
			if err := s.setBan(ctx, tx, u.ID, b.BanDuration); err != nil {
				return err
			}
		}
		s.audit(ctx, tx, clientIP(r), "user_signedup", u, map[string]any{"provider": u.AppMetaData["provider"], "by": "admin"})
		u, err = userByID(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}

func (s *Service) setBan(ctx context.Context, tx pgx.Tx, id, d string) error {
	if d == "none" {
		_, err := tx.Exec(ctx, `update auth.users set banned_until = null where id = $1`, id)
		return err
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur < 0 {
		return errValidation("invalid format for ban duration: " + d)
	}
	if _, err := tx.Exec(ctx, `update auth.users set banned_until = $2 where id = $1`, id, s.now().Add(dur)); err != nil {
		return err
	}
	// A banned user's sessions end now, not when their tokens expire.
	_, err = tx.Exec(ctx, `delete from auth.sessions where user_id = $1`, id)
	return err
}

func (s *Service) handleAdminGetUser(w http.ResponseWriter, r *http.Request, p *project) error {
	if err := checkUserID(r.PathValue("id")); err != nil {
		return err
	}
	u, err := userByID(r.Context(), p.pool, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}

func (s *Service) handleAdminUpdateUser(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := checkUserID(id); err != nil {
		return err
	}
	var b adminUserBody
	if err := decode(r, &b); err != nil {
		return err
	}
	var hash string
	if b.Password != nil {
		if err := s.checkStrength(r.Context(), *b.Password); err != nil {
			return err
		}
		h, err := s.hashPassword(*b.Password)
		if err != nil {
			return err
		}
		hash = h
	}
	var u *user
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		cur, err := userByID(ctx, tx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if b.Email != nil {
			e := normalizeEmail(*b.Email)
			if err := validEmail(e); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.users set email = $2 where id = $1`, id, e); err != nil {
				if isUniqueViolation(err) {
					return errEmailExists
				}
				return err
			}
		}
		if b.Phone != nil {
			ph, err := normalizePhone(*b.Phone)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.users set phone = $2 where id = $1`, id, ph); err != nil {
				if isUniqueViolation(err) {
					return errPhoneExists
				}
				return err
			}
		}
		if b.EmailConfirm {
			if _, err := tx.Exec(ctx, `update auth.users set email_confirmed_at = coalesce(email_confirmed_at, $2) where id = $1`, id, now); err != nil {
				return err
			}
		}
		if b.PhoneConfirm {
			if _, err := tx.Exec(ctx, `update auth.users set phone_confirmed_at = coalesce(phone_confirmed_at, $2) where id = $1`, id, now); err != nil {
				return err
			}
		}
		if hash != "" {
			if _, err := tx.Exec(ctx, `update auth.users set encrypted_password = $2 where id = $1`, id, hash); err != nil {
				return err
			}
		}
		if b.UserMetaData != nil {
			m := maps.Clone(cur.UserMetaData)
			mergeMeta(m, b.UserMetaData)
			if _, err := tx.Exec(ctx, `update auth.users set raw_user_meta_data = $2 where id = $1`, id, m); err != nil {
				return err
			}
		}
		if b.AppMetaData != nil {
			m := maps.Clone(cur.AppMetaData)
			mergeMeta(m, b.AppMetaData)
			if _, err := tx.Exec(ctx, `update auth.users set raw_app_meta_data = $2 where id = $1`, id, m); err != nil {
				return err
			}
		}
		if b.Role != "" {
			if _, err := tx.Exec(ctx, `update auth.users set role = $2 where id = $1`, id, b.Role); err != nil {
				return err
			}
		}
		if b.BanDuration != "" {
			if err := s.setBan(ctx, tx, id, b.BanDuration); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `update auth.users set updated_at = $2 where id = $1`, id, now); err != nil {
			return err
		}
		u, err = userByID(ctx, tx, id)
		if err == nil {
			s.audit(ctx, tx, clientIP(r), "user_modified", u, map[string]any{"by": "admin"})
		}
		return err
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}

func mergeMeta(dst, src map[string]any) {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
		} else {
			dst[k] = v
		}
	}
}

func (s *Service) handleAdminDeleteUser(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if err := checkUserID(id); err != nil {
		return err
	}
	var b struct {
		ShouldSoftDelete bool `json:"should_soft_delete"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	u, err := userByID(ctx, p.pool, id)
	if err != nil {
		return err
	}
	if b.ShouldSoftDelete {
		err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `update auth.users set deleted_at = $2, email = null, phone = null, encrypted_password = '',
				raw_user_meta_data = '{}', updated_at = $2 where id = $1`, id, s.now()); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `delete from auth.identities where user_id = $1`, id); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `delete from auth.sessions where user_id = $1`, id)
			return err
		})
	} else {
		_, err = p.pool.Exec(ctx, `delete from auth.users where id = $1`, id)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, p.pool, clientIP(r), "user_deleted", u, map[string]any{"soft": b.ShouldSoftDelete})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Service) handleAdminListFactors(w http.ResponseWriter, r *http.Request, p *project) error {
	if err := checkUserID(r.PathValue("id")); err != nil {
		return err
	}
	if _, err := userByID(r.Context(), p.pool, r.PathValue("id")); err != nil {
		return err
	}
	fs, err := factorsOf(r.Context(), p.pool, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]factorJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.JSON())
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleAdminDeleteFactor removes a user's factor: the recovery path for a
// lost authenticator.
func (s *Service) handleAdminDeleteFactor(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	uid := r.PathValue("id")
	if err := checkUserID(uid); err != nil {
		return err
	}
	fs, err := factorsOf(ctx, p.pool, uid)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if f.ID == r.PathValue("fid") {
			if err := deleteFactor(ctx, p, f.ID); err != nil {
				return err
			}
			if u, err := userByID(ctx, p.pool, uid); err == nil {
				s.audit(ctx, p.pool, clientIP(r), "factor_deleted", u, map[string]any{"factor_id": f.ID, "by": "admin"})
			}
			httpx.WriteJSON(w, http.StatusOK, f.JSON())
			return nil
		}
	}
	return errFactorNotFound
}

type generateLinkBody struct {
	Type       string         `json:"type"`
	Email      string         `json:"email"`
	NewEmail   string         `json:"new_email"`
	Password   string         `json:"password"`
	Data       map[string]any `json:"data"`
	RedirectTo string         `json:"redirect_to"`
}

// handleGenerateLink makes the link a mail would carry, without sending it.
func (s *Service) handleGenerateLink(w http.ResponseWriter, r *http.Request, p *project) error {
	ctx := r.Context()
	var b generateLinkBody
	if err := decode(r, &b); err != nil {
		return err
	}
	b.Email = normalizeEmail(b.Email)
	if err := validEmail(b.Email); err != nil {
		return err
	}
	if b.RedirectTo == "" {
		b.RedirectTo = r.URL.Query().Get("redirect_to")
	}
	var (
		u          *user
		code, hash string
		verifyType = b.Type
	)
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var err error
		u, err = userByEmail(ctx, tx, b.Email)
		if err != nil && !errors.Is(err, errUserNotFound) {
			return err
		}
		ottType, to := ottConfirmation, b.Email
		switch b.Type {
		case "signup":
			if u != nil && u.EmailConfirmedAt != nil {
				return errEmailExists
			}
			if u == nil {
				if err := s.checkStrength(r.Context(), b.Password); err != nil {
					return err
				}
				h, err := s.hashPassword(b.Password)
				if err != nil {
					return err
				}
				if u, err = s.insertUser(ctx, tx, newUser{Email: b.Email, PasswordHash: h, UserMetaData: b.Data}); err != nil {
					return err
				}
			}
		case "invite":
			if u != nil && u.EmailConfirmedAt != nil {
				return errEmailExists
			}
			if u == nil {
				if u, err = s.insertUser(ctx, tx, newUser{Email: b.Email, UserMetaData: b.Data, Invited: true}); err != nil {
					return err
				}
			}
		case "magiclink", "recovery":
			if u == nil {
				if b.Type == "recovery" {
					return errUserNotFound
				}
				if u, err = s.insertUser(ctx, tx, newUser{Email: b.Email, UserMetaData: b.Data}); err != nil {
					return err
				}
			} else {
				ottType = ottRecovery
			}
			if u.EmailConfirmedAt == nil && b.Type == "magiclink" {
				ottType, verifyType = ottConfirmation, "signup"
			}
		case "email_change_new", "email_change_current":
			if u == nil {
				return errUserNotFound
			}
			ne := normalizeEmail(b.NewEmail)
			if err := validEmail(ne); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `update auth.users set email_change = $2 where id = $1`, u.ID, ne); err != nil {
				return err
			}
			ottType, to, verifyType = ottEmailChangeNew, ne, "email_change"
			if b.Type == "email_change_current" {
				ottType, to = ottEmailChangeCurrent, b.Email
			}
		default:
			return errValidation("Invalid link type: " + b.Type)
		}
		if code, hash, err = s.issueOTT(ctx, tx, u, ottType, to, ""); err != nil {
			return err
		}
		u, err = userByID(ctx, tx, u.ID)
		return err
	})
	if err != nil {
		return err
	}
	redirect := s.redirectTo(r, b.RedirectTo)
	out := map[string]any{}
	uj := u.JSON()
	if err := jsonInto(uj, &out); err != nil {
		return err
	}
	out["action_link"] = s.verifyLink(r, hash, verifyType, b.RedirectTo)
	out["email_otp"] = code
	out["hashed_token"] = hash
	out["redirect_to"] = redirect
	out["verification_type"] = verifyType
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// Keys and signing keys.

type createKeyBody struct {
	KeySpec
	ExpiresIn string `json:"expires_in"`
}

func (s *Service) handleCreateKey(w http.ResponseWriter, r *http.Request, p *project) error {
	var b createKeyBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.ExpiresIn != "" {
		d, err := time.ParseDuration(b.ExpiresIn)
		if err != nil || d <= 0 {
			return errValidation("expires_in: want a positive duration such as 720h")
		}
		t := s.now().Add(d)
		b.ExpiresAt = &t
	}
	info, key, err := s.CreateKey(r.Context(), p.ref, b.KeySpec)
	if errors.Is(err, ErrBadScope) {
		return errValidation(err.Error())
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "allowed ip") {
			return errValidation(err.Error())
		}
		return err
	}
	s.audit(r.Context(), p.pool, clientIP(r), "api_key_created", nil, map[string]any{"key_id": info.ID, "name": info.Name, "scopes": info.Scopes})
	httpx.WriteJSON(w, http.StatusCreated, map[string]any{"key": key, "api_key": info})
	return nil
}

func (s *Service) handleListKeys(w http.ResponseWriter, r *http.Request, p *project) error {
	keys, err := s.ListKeys(r.Context(), p.ref)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Service) handleRevokeKey(w http.ResponseWriter, r *http.Request, p *project) error {
	err := s.RevokeKey(r.Context(), p.ref, r.PathValue("id"))
	if errors.Is(err, ErrKeyNotFound) {
		return apiErr(http.StatusNotFound, "api_key_not_found", "API key not found")
	}
	if err != nil {
		return err
	}
	s.audit(r.Context(), p.pool, clientIP(r), "api_key_revoked", nil, map[string]any{"key_id": r.PathValue("id")})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) handleRotateKeys(w http.ResponseWriter, r *http.Request, p *project) error {
	var b struct {
		Algorithm string `json:"algorithm"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	alg := strings.ToUpper(b.Algorithm)
	if alg == "" {
		alg = "ES256"
	}
	if alg != "RS256" && alg != "ES256" {
		return errValidation("algorithm: want RS256 or ES256")
	}
	kid, err := s.RotateSigningKey(r.Context(), p.ref, alg)
	if err != nil {
		return err
	}
	s.audit(r.Context(), p.pool, clientIP(r), "signing_key_rotated", nil, map[string]any{"kid": kid, "algorithm": alg})
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"kid": kid, "algorithm": alg})
	return nil
}

// jsonInto converts v to a generic map through JSON.
func jsonInto(v any, out *map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
