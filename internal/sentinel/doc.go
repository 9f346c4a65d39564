// Package sentinel is mobo's security mesh, the "sentinel" component: it
// watches every request on the one request path and defends the platform
// within a few requests. Three tiers:
//
//   - Tier 1, patrol agents, each a package of its own with its config,
//     counters and tests (see [event] for what they see and say). Value
//     agents ([ValueAgent]: sqlguard, xssguard, pathguard) inspect each
//     statement's bound values — filter values, RPC arguments, the
//     strings of JSON bodies, GraphQL arguments — through the gate, which
//     calls [Sentinel.Inspect] before any statement it runs for a
//     principal, so no API can skip it. Behaviour agents ([event.Agent]:
//     apiwatch, authsentry, dataguard, privguard) see every answered
//     request's [event.Event], recorded by the gateway ([Sentinel.Record])
//     after handlers filled its [event.Note] (the gate: the actor and the
//     route; REST: the error code; auth: the attempt and its outcome).
//   - Tier 2, the analyzer: each [Scenario] (defaults in
//     [DefaultScenarios], or an operator's file) keeps a decaying score
//     per actor — an address, its /24 or /64, an API key, a user, a
//     session, an account — over findings with its labels; at its
//     threshold it fires once, opening one [Incident] per attack rather
//     than one per request.
//   - Tier 3, the commander: a fired scenario blocks the actor (for a
//     time that doubles with each repeat offence), revokes the user's
//     sessions or the key ([Responder], the auth component's) and alerts
//     by a signed webhook. Value findings refuse their own request where
//     the scenario says so. Allow-listed actors are never acted against;
//     an agent in shadow mode records what it would do and does nothing.
//
// Blocks are checked in O(1) before any expensive work — the gateway asks
// [Sentinel.AdmitIP] before the rate limits, the gate [Sentinel.Admit]
// at every decision, auth [Sentinel.AdmitAccount] before a password hash
// — from a copy-on-write snapshot read without a lock. The sentinel's own
// refusals are never fed back to the agents, so they make no new blocks.
//
// Forensics: every finding (with the request's summary and an excerpt of
// the value that carried it, never a password or token), incident and
// block is written to the control plane (mobo.sentinel_*) by a writer
// goroutine, in batches, with retention; [Sentinel.Handler] serves them
// and the operator's controls (block, unblock, allow, modes) under
// /admin/v1/sentinel/, which `mobo sentinel` calls. Incidents, blocks and
// unblocks are published on the kernel bus.
//
// Concurrency: the request-path methods are safe for concurrent use and do
// no I/O; scores are sharded; incidents, blocks, the allow-list and modes
// change under one mutex (rare: findings only). Persistence, alerts and
// revocations run on goroutines Start starts and Stop waits for.
package sentinel
