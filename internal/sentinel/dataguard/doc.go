// Package dataguard is the sentinel's agent for data exfiltration: a key
// or user reading far more than it usually does. [Agent] reports
// "exfiltration" findings about the request's principal
// ([window.Principal]: scope "user", else "key" for a non-anonymous key,
// else "ip" for anonymous clients, whose shared anon key would pool
// everyone):
//
//   - one read far larger than the actor's usual read of that route: at
//     least 10 times its typical size and 4 deviations above it, in rows
//     (at least 1000) or bytes (at least 1 MiB), once the actor has 20
//     reads of the route behind it. Score 0.8.
//   - a total over 10 minutes far larger than the actor's usual total
//     (10 times and 4 deviations, at least 2000 rows or 8 MiB), once 3
//     ten-minute windows with reads are known: the paginated
//     exfiltration, many pages each of a normal size. Score 0.7.
//   - a total over 10 minutes past an absolute cap (100000 rows or 256
//     MiB), whatever the history: a brand-new actor draining a table is
//     caught before any baseline exists. Score 0.9.
//
// Reads are successful GET and HEAD requests, and POSTs to functions
// (rpc:) or GraphQL, of the APIs in [Config.APIs] (rest and graphql by
// default; storage is left out: file sizes are not a table's rows).
//
// # Baselines
//
// Sizes are heavy-tailed and multiplicative (a page of 20 rows, a list of
// 200, an export of 5000), so baselines are kept over log1p of rows and
// bytes, where "10× the usual" is a fixed distance whatever the scale.
// Each actor×route pair and each actor's ten-minute totals have a
// [window.Robust]: an exponentially weighted Huber estimate of the
// typical value and its mean absolute deviation. It costs three words per
// series and O(1) per read with no allocation — there may be hundreds of
// thousands of pairs, which rules out quantile sketches (kilobytes each)
// — and one huge read moves it by a bounded step, so an attacker cannot
// make the next huge read look normal (an EWMA of mean and variance
// would be dragged along). Deviations have a floor of 0.25 (about 28%):
// a client that always reads exactly 20 rows is not alarmed by 50.
// Totals fed to the baseline are clipped at the cap.
//
// A location and a spread describe one mode; a service key that reads 40
// rows all day and exports 5000 once a day has two. So a read or a total
// must also be over twice the largest the actor has done recently (a
// [window.Peak] that halves every week): the first export is reported,
// the next day's is not. The cost is that an actor who once read N rows
// may read up to 2N in one request unreported; the totals and the cap
// still apply. The table of
// baselines is bounded (least recently seen first out) and forgets an
// actor idle for 24 hours.
//
// Each kind of finding is reported at most once per 10-minute window per
// actor.
//
// # Concurrency
//
// [Agent.Observe] is safe for concurrent use; a read takes two
// [window.Table] accesses (the route's baseline, the actor's totals),
// other events none.
package dataguard
