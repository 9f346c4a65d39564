// Package auth is the "auth" component: accounts, sessions and keys of every
// project, served at /auth/v1 with Supabase Auth's (GoTrue's) endpoints and
// JSON shapes so that supabase.auth.* works unchanged.
//
// It owns the auth schema of each project database (users, identities,
// sessions, refresh_tokens, mfa_*, one_time_tokens, flow_state,
// audit_log_entries, and mobo's api_keys, roles and signing_keys), applied
// from embedded migrations tracked in mobo.auth_migrations, at Start and
// through the tenant setup hook ([Service.SetupProject]) when a project is
// created. It talks to each project database through a small pool of its
// own, as GoTrue does through supabase_auth_admin.
//
// Its settings ([Config], and per project the keys of [ProjectSettings])
// are checked, and the signing keys of the configuration read, at Start:
// a bad value stops the boot instead of failing requests. The endpoints of
// GoTrue features mobo does not have (SAML, OAuth and OIDC providers, web3,
// manual linking, passkeys) answer with GoTrue's "disabled" errors.
//
// For the request path (package gate) it provides [Authenticator] (HS256
// with the project secret, RS256/ES256 by kid, scoped secret API keys,
// whose scopes it parses into the principal) and [Authorizer] (the RBAC
// stage: roles and their permissions).
//
// # Concurrency
//
// A [Service] is safe for concurrent use after Start. Per-project state is
// created at first use under the service's lock and never changes except for
// the signing keys (swapped under the keyring's lock on rotation). Caches
// (verified tokens, API key lookups, role permissions) are bounded maps with
// short TTLs and are invalidated on this node when what they cache changes;
// other nodes see a revoked key or a changed role within the TTL. Requests
// never start goroutines.
package auth
