package auth

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// user is a row of auth.users.
type user struct {
	ID                     string
	Aud                    string
	Role                   string
	Email                  string
	EncryptedPassword      string
	EmailConfirmedAt       *time.Time
	InvitedAt              *time.Time
	ConfirmationSentAt     *time.Time
	RecoverySentAt         *time.Time
	EmailChange            string
	EmailChangeSentAt      *time.Time
	LastSignInAt           *time.Time
	AppMetaData            map[string]any
	UserMetaData           map[string]any
	CreatedAt              time.Time
	UpdatedAt              time.Time
	Phone                  string
	PhoneConfirmedAt       *time.Time
	PhoneChange            string
	ConfirmedAt            *time.Time
	BannedUntil            *time.Time
	ReauthenticationSentAt *time.Time
	IsAnonymous            bool
	DeletedAt              *time.Time

	Identities []identity
	Factors    []factor
}

const userColumns = `id, coalesce(aud, ''), coalesce(role, ''), coalesce(email, ''), coalesce(encrypted_password, ''),
	email_confirmed_at, invited_at, confirmation_sent_at, recovery_sent_at, coalesce(email_change, ''), email_change_sent_at,
	last_sign_in_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at, coalesce(phone, ''),
	phone_confirmed_at, coalesce(phone_change, ''), confirmed_at, banned_until, reauthentication_sent_at, is_anonymous, deleted_at`

func scanUser(row pgx.Row) (*user, error) {
	var u user
	err := row.Scan(&u.ID, &u.Aud, &u.Role, &u.Email, &u.EncryptedPassword, &u.EmailConfirmedAt, &u.InvitedAt,
		&u.ConfirmationSentAt, &u.RecoverySentAt, &u.EmailChange, &u.EmailChangeSentAt, &u.LastSignInAt,
		&u.AppMetaData, &u.UserMetaData, &u.CreatedAt, &u.UpdatedAt, &u.Phone, &u.PhoneConfirmedAt, &u.PhoneChange,
		&u.ConfirmedAt, &u.BannedUntil, &u.ReauthenticationSentAt, &u.IsAnonymous, &u.DeletedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading a user: %w", err)
	}
	if u.AppMetaData == nil {
		u.AppMetaData = map[string]any{}
	}
	if u.UserMetaData == nil {
		u.UserMetaData = map[string]any{}
	}
	return &u, nil
}

// userByID loads a user with its identities and factors.
func userByID(ctx context.Context, q querier, id string) (*user, error) {
	u, err := scanUser(q.QueryRow(ctx, `select `+userColumns+` from auth.users where id = $1 and deleted_at is null`, id))
	if err != nil {
		return nil, err
	}
	return u, u.loadRelated(ctx, q)
}

// userByEmail loads a user by email (case-insensitive), or errUserNotFound.
func userByEmail(ctx context.Context, q querier, email string) (*user, error) {
	u, err := scanUser(q.QueryRow(ctx, `select `+userColumns+` from auth.users where lower(email) = lower($1) and is_sso_user = false and deleted_at is null`, email))
	if err != nil {
		return nil, err
	}
	return u, u.loadRelated(ctx, q)
}

func userByPhone(ctx context.Context, q querier, phone string) (*user, error) {
	u, err := scanUser(q.QueryRow(ctx, `select `+userColumns+` from auth.users where phone = $1 and deleted_at is null`, phone))
	if err != nil {
		return nil, err
	}
	return u, u.loadRelated(ctx, q)
}

func (u *user) loadRelated(ctx context.Context, q querier) error {
	rows, err := q.Query(ctx, `select id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at, coalesce(email, '')
		from auth.identities where user_id = $1 order by created_at`, u.ID)
	if err != nil {
		return fmt.Errorf("reading identities: %w", err)
	}
	u.Identities, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (identity, error) {
		var i identity
		err := r.Scan(&i.IdentityID, &i.ID, &i.UserID, &i.IdentityData, &i.Provider, &i.LastSignInAt, &i.CreatedAt, &i.UpdatedAt, &i.Email)
		return i, err
	})
	if err != nil {
		return fmt.Errorf("reading identities: %w", err)
	}
	u.Factors, err = factorsOf(ctx, q, u.ID)
	return err
}

type identity struct {
	IdentityID   string         `json:"identity_id"`
	ID           string         `json:"id"`
	UserID       string         `json:"user_id"`
	IdentityData map[string]any `json:"identity_data"`
	Provider     string         `json:"provider"`
	LastSignInAt *time.Time     `json:"last_sign_in_at"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	Email        string         `json:"email,omitempty"`
}

func (u *user) username() string {
	if u.Email != "" {
		return u.Email
	}
	return u.Phone
}

func (u *user) banned(now time.Time) bool { return u.BannedUntil != nil && u.BannedUntil.After(now) }

// userJSON is the user object of Supabase Auth's responses.
type userJSON struct {
	ID                     string         `json:"id"`
	Aud                    string         `json:"aud"`
	Role                   string         `json:"role"`
	Email                  string         `json:"email"`
	EmailConfirmedAt       *time.Time     `json:"email_confirmed_at,omitempty"`
	Phone                  string         `json:"phone"`
	PhoneConfirmedAt       *time.Time     `json:"phone_confirmed_at,omitempty"`
	ConfirmationSentAt     *time.Time     `json:"confirmation_sent_at,omitempty"`
	ConfirmedAt            *time.Time     `json:"confirmed_at,omitempty"`
	RecoverySentAt         *time.Time     `json:"recovery_sent_at,omitempty"`
	NewEmail               string         `json:"new_email,omitempty"`
	EmailChangeSentAt      *time.Time     `json:"email_change_sent_at,omitempty"`
	InvitedAt              *time.Time     `json:"invited_at,omitempty"`
	ReauthenticationSentAt *time.Time     `json:"reauthentication_sent_at,omitempty"`
	LastSignInAt           *time.Time     `json:"last_sign_in_at,omitempty"`
	AppMetaData            map[string]any `json:"app_metadata"`
	UserMetaData           map[string]any `json:"user_metadata"`
	Identities             []identity     `json:"identities"`
	Factors                []factorJSON   `json:"factors,omitempty"`
	CreatedAt              time.Time      `json:"created_at"`
	UpdatedAt              time.Time      `json:"updated_at"`
	BannedUntil            *time.Time     `json:"banned_until,omitempty"`
	IsAnonymous            bool           `json:"is_anonymous"`
}

func (u *user) JSON() *userJSON {
	j := &userJSON{
		ID: u.ID, Aud: u.Aud, Role: u.Role, Email: u.Email, EmailConfirmedAt: u.EmailConfirmedAt, Phone: u.Phone,
		PhoneConfirmedAt: u.PhoneConfirmedAt, ConfirmationSentAt: u.ConfirmationSentAt, ConfirmedAt: u.ConfirmedAt,
		RecoverySentAt: u.RecoverySentAt, NewEmail: u.EmailChange, EmailChangeSentAt: u.EmailChangeSentAt,
		InvitedAt: u.InvitedAt, ReauthenticationSentAt: u.ReauthenticationSentAt, LastSignInAt: u.LastSignInAt,
		AppMetaData: u.AppMetaData, UserMetaData: u.UserMetaData, Identities: u.Identities,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, BannedUntil: u.BannedUntil, IsAnonymous: u.IsAnonymous,
	}
	if j.Identities == nil {
		j.Identities = []identity{}
	}
	for _, f := range u.Factors {
		j.Factors = append(j.Factors, f.JSON())
	}
	return j
}

// MarshalJSON lets a *user be written directly.
func (u *user) MarshalJSON() ([]byte, error) { return json.Marshal(u.JSON()) }

// newUser describes a user to insert.
type newUser struct {
	Email, Phone, PasswordHash string
	EmailConfirmed             bool
	PhoneConfirmed             bool
	Invited                    bool
	Anonymous                  bool
	Provider                   string
	UserMetaData               map[string]any
	AppMetaData                map[string]any
	Role                       string
}

// insertUser creates a user and its identity. It returns errEmailExists or
// errPhoneExists when taken.
func (s *Service) insertUser(ctx context.Context, tx pgx.Tx, n newUser) (*user, error) {
	id, err := newUUID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	provider := n.Provider
	if provider == "" {
		provider = "email"
		if n.Email == "" && n.Phone != "" {
			provider = "phone"
		}
	}
	app := map[string]any{}
	for k, v := range n.AppMetaData {
		app[k] = v
	}
	if !n.Anonymous {
		app["provider"] = provider
		app["providers"] = []string{provider}
	}
	meta := n.UserMetaData
	if meta == nil {
		meta = map[string]any{}
	}
	role := n.Role
	if role == "" {
		role = "authenticated"
	}
	var emailConfirmed, phoneConfirmed, invited *time.Time
	if n.EmailConfirmed {
		emailConfirmed = &now
	}
	if n.PhoneConfirmed {
		phoneConfirmed = &now
	}
	if n.Invited {
		invited = &now
	}
	_, err = tx.Exec(ctx, `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
			phone, phone_confirmed_at, invited_at, raw_app_meta_data, raw_user_meta_data, is_anonymous, created_at, updated_at)
		values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', $2, nullif($3, ''), $4, $5, nullif($6, ''), $7, $8, $9, $10, $11, $12, $12)`,
		id, role, strings.ToLower(n.Email), n.PasswordHash, emailConfirmed, n.Phone, phoneConfirmed, invited, app, meta, n.Anonymous, now)
	if isUniqueViolation(err) {
		if n.Phone != "" && n.Email == "" {
			return nil, errPhoneExists
		}
		return nil, errEmailExists
	}
	if err != nil {
		return nil, fmt.Errorf("inserting a user: %w", err)
	}
	if !n.Anonymous {
		data := map[string]any{"sub": id, "email_verified": n.EmailConfirmed, "phone_verified": n.PhoneConfirmed}
		if n.Email != "" {
			data["email"] = strings.ToLower(n.Email)
		}
		if n.Phone != "" {
			data["phone"] = n.Phone
		}
		if _, err := tx.Exec(ctx, `insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
			values ($1::text, $1::uuid, $2, $3, $4, $4, $4)`, id, data, provider, now); err != nil {
			return nil, fmt.Errorf("inserting an identity: %w", err)
		}
	}
	return userByID(ctx, tx, id)
}

var (
	errEmailExists = apiErr(422, "email_exists", "A user with this email address has already been registered")
	errPhoneExists = apiErr(422, "phone_exists", "A user with this phone number has already been registered")
)

func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}
