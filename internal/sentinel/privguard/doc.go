// Package privguard is the sentinel's agent for privilege probing: an
// actor feeling for what it may not do. [Agent] reports "privilege
// probing" findings (label "privilege_probing") for:
//
//   - a burst of refusals: 30 answers of 42501 (insufficient_privilege)
//     or 403 within 5 minutes (score 0.7), or refusals (42501, 403 or
//     401) on 8 distinct relations within 5 minutes (score 0.8). A
//     dashboard that trips over a policy gets a few 403s on one or two
//     relations; a client with an expired token gets 401s on the
//     relation it polls — which is why 401s count only toward distinct
//     relations, never toward the burst.
//   - a request naming a relation in a protected schema through a data
//     API ([Config.ProtectedAPIs], default rest and graphql):
//     auth, mobo, storage, information_schema, pg_catalog and every
//     pg_* schema, realtime, vault, extensions, supabase_* …
//     ([DefaultProtectedSchemas]). No application reads these through
//     the API; the first such request scores 0.7, and 3 distinct
//     protected relations within the window score 1.0.
//   - a token claiming a role the key may not carry
//     ([event.Event.ClaimedRole], set when the claim was refused): one is
//     strong, 1.0 for a privileged role ([DefaultPrivilegedRoles]:
//     service_role, postgres, supabase_admin …), 0.8 for any other.
//
// Findings are about the request's principal ([window.Principal]: the
// user, else a non-anonymous key, else the address), each reported when
// its threshold is first reached and then at most once per window.
//
// # Concurrency
//
// [Agent.Observe] is safe for concurrent use; state lives in a bounded
// [window.Table] forgotten after a window of idleness.
package privguard
