// Package authsentry is the sentinel's agent for authentication attacks.
// [Agent] watches [event.KindAuth] events and reports:
//
//   - "brute_force": many failed password or one-time-code attempts on
//     one account, from any addresses. Scope "account" (Subject the
//     account), and scope "ip" for each address that has failed on the
//     account at least 3 times when it is under attack (so a distributed
//     brute force names its sources, but the owner mistyping once during
//     the attack is not named).
//   - "credential_stuffing": failures across many distinct accounts from
//     one address ("ip") or one /24 or /64 ("net", Subject the prefix),
//     fast.
//   - "password_spraying": failures across many accounts, slowly, with
//     few attempts per account, from one address or network: the same few
//     passwords tried on every account, kept under per-account lockouts.
//   - "mfa_guessing": failed MFA verifies for one user. Scope "user".
//   - "token_replay": a rotated refresh token used again after the reuse
//     interval (refresh_token_already_used) — one is strong, since the
//     token's family may be in two hands — scope "session" or "user"; and
//     many unknown refresh tokens from one address (replaying revoked or
//     guessed tokens), scope "ip".
//
// # Defaults and why
//
// Counted failures are those whose reason is a wrong secret
// ([DefaultFailureReasons]: invalid_credentials, user_not_found,
// otp_expired — Supabase Auth's answer to a wrong code too — and
// mfa_verification_failed). An unconfirmed email, a rate-limited or
// malformed request, a disabled provider are not guesses and do not count,
// so a misconfiguration cannot look like an attack. A successful sign-in
// clears the account's failures, and removes the account from its
// address's and network's failed sets: a user behind a shared NAT who
// mistyped and then got in is not a stuffing victim.
//
//   - Brute force: 10 failures on one account within 5 minutes. A person
//     who forgot a password tries a handful of variants and then resets;
//     ten in five minutes is a tool. Scores 0.9 (account), 0.8 (ip).
//   - Credential stuffing: 20 distinct accounts failed from one address,
//     or 50 from one network, within 10 minutes. Stuffing lists run at
//     hundreds to thousands of accounts per hour; a large office NAT
//     rarely sees 20 distinct users fail without then succeeding. Scores
//     0.9 (ip), 0.7 (net). The network finding is left out when one
//     address accounts for most of the network's accounts (the address's
//     own finding covers it).
//   - Password spraying: 30 distinct accounts from one address, or 60
//     from one network, within 1 hour, at most 3 attempts per account on
//     average, when the address or network was not already reported for
//     stuffing in that hour. Scores 0.8 (ip), 0.6 (net).
//   - MFA guessing: 5 failed verifies for one user within 10 minutes (a
//     person mistypes a TOTP once or twice). Score 0.9.
//   - Token replay: one refresh_token_already_used (score 0.9); or 10
//     refresh_token_not_found from one address within 10 minutes (score
//     0.6: an app that kept a token after sign-out fails once, not ten
//     times).
//
// Each finding is reported when its count first reaches the threshold,
// then at most once per window per actor, so the analyzer gets one signal
// per attack stage.
//
// # State and time
//
// State lives in [window.Table]s keyed by account, address, network and
// user/session, bounded by [Config.MaxActors] each and forgotten after the
// longest window of idleness. Time is [event.Event.Time]; events must
// carry it.
//
// # Concurrency
//
// [Agent.Observe] is safe for concurrent use and does not block beyond a
// shard's mutex held for a few counter updates.
package authsentry
