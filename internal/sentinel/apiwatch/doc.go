// Package apiwatch is the sentinel's agent for abuse of the APIs as a
// whole: scanning, floods, odd methods and attack tools. [Agent] reports:
//
//   - "scanning": one address (and, for a signed-in user or a service
//     key, that principal too) naming 15 distinct relations or columns
//     that do not exist within 5 minutes (PGRST205, PGRST204, 42P01,
//     42703; score 0.8), or getting 150 not-found answers within 5
//     minutes (score 0.6). An app with a stale schema names the same one
//     or two missing things over and over; a page with missing avatars
//     gets tens of 404s, not hundreds; an enumerator walks a word list.
//   - "flood": a principal ([window.Principal]) sending far more requests
//     than it usually does: at least 10 times its usual busy 10-second
//     interval and at least 200 requests (20/s), once 6 busy intervals
//     are known (score 0.8); 1000 requests in 10 seconds (100/s) from an
//     actor still warming up (score 0.5). The rate limiter enforces fixed
//     limits; this is the burst past an actor's own steady state. The
//     baseline is a [window.Robust] over log1p of the counts of intervals
//     in which the actor was active (idle intervals are not "usual
//     traffic"), fed counts clipped at the threshold so that a flood does
//     not teach that floods are normal, and kept for an hour of idleness.
//   - "odd_method": a request with a method the APIs do not serve (TRACE,
//     TRACK, CONNECT, PROPFIND, DEBUG, lowercase "get"…): score 0.5 at
//     the first, 0.9 at 3 distinct odd methods within 10 minutes.
//   - "bad_agent": a User-Agent naming an attack tool ([DefaultBadAgents]:
//     sqlmap, nikto, nmap, masscan, zgrab, gobuster, ffuf, nuclei…),
//     score 0.9. General clients (curl, python-requests, Go-http-client,
//     node-fetch, axios) are benign and not listed. Words match whole
//     words of the User-Agent, so "nmap" does not match "unmapped".
//     Results are cached per User-Agent in a small lock-free table, so
//     the common case is a hash and a comparison.
//
// Each is reported when its threshold is first reached, then at most once
// per window (5 minutes for scanning, 10 for the others) per actor.
//
// # Concurrency
//
// [Agent.Observe] is safe for concurrent use. Every event takes one
// [window.Table] access for its principal (the flood counter); a
// signed-in user's or a key's event takes a second, for its address,
// only when it carries a scanning, method or tool signal.
package apiwatch
