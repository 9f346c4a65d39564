// Package slo is the "slo" component: service-level objectives over the
// platform's own HTTP metrics, their error budgets, and multi-window
// multi-burn-rate alerts routed to webhooks and email.
//
// # Pipeline
//
// Every [Config.Interval] (10 s) the engine reads a metrics registry
// ([Options.Gatherer]; mobo gives it one the gateway registers its HTTP
// metrics in besides the platform's, so that a reading runs no other
// collector) — mobo_http_requests_total and
// mobo_http_request_duration_seconds, by name: the gateway knows nothing
// of the engine — and turns each series' cumulative value into an
// increase since the previous reading (a counter lower than before was
// reset: its whole value is the increase). Each [Objective] sums the
// increases of the series of its API and project into cumulative good
// and total counts: for availability, good is every answer but a 5xx;
// for latency, good is the histogram's bucket at the threshold and total
// its count. Those cumulative counts are sampled into two bounded rings
// per objective: every reading for the last six hours, one every five
// minutes for as long as the longest window (the budget's, 30 days by
// default; about 260 KB per objective). The coarse samples are also
// written to the control plane, so that a budget survives a restart. A
// window's counts are the difference between the latest sample and the
// one closest to the window's start.
//
// # Burn rates
//
// The SLI over a window is good/total; its burn rate is the share of bad
// requests over the share the target allows ((1-SLI)/(1-target)): at 1
// the budget lasts exactly the objective's window. A [BurnAlert] fires
// when both its long and its short window burn faster than its rate —
// the method of the Google SRE workbook's "Alerting on SLOs": the long
// window makes an alert significant (2% of a 30-day budget in an hour at
// 14.4×), the short one (a twelfth of it) makes it stop soon after the
// burn does. [DefaultBurnAlerts] are the workbook's two page and two
// ticket pairs. The budget remaining is 1 - bad/allowed over the
// objective's window; the time to exhaustion is what remains at the last
// hour's burn rate.
//
// # Alerts and notifications
//
// There is one [Alert] per objective and severity, moving inactive →
// pending (for its "for", if any) → firing → resolved (inactive again),
// as Alertmanager's do. Firing alerts go, by their severity's [Route], to
// a receiver, in groups ([GroupConfig]): a new group waits group_wait so
// that objectives breaking together make one notification; changes go
// at most every group_interval; a group still firing is notified again
// every repeat_interval unless all of it is acknowledged. Resolutions of
// notified alerts are notified. A [Silence] matching an alert mutes its
// notifications and escalation; an acknowledgement ([Engine.Acknowledge])
// stops its escalation and reminders. An alert firing unacknowledged for
// its route's escalate_after is sent to escalate_to, once. Webhooks are
// signed as the sentinel's ([HeaderSignature]); email goes through a
// [Mailer]. Every transition, notification (delivered or not),
// acknowledgement, escalation and silence is in the history
// (mobo.slo_history, kept [Config.Retention]); transitions are published
// on the kernel bus as [TopicAlert].
//
// All times come from [Options.Now], so tests drive windows, group
// timers and escalations with their own clock and [Engine.Evaluate];
// timings are honoured at the evaluation's resolution.
//
// # Concurrency
//
// The engine is safe for concurrent use. Evaluations are serialised (the
// readings must be in order) and change the state under one mutex that
// the admin API's readers take briefly. The registry is read outside it.
// Writes to the control plane, deliveries and their retries run on
// goroutines Start starts and Stop waits for; an evaluation never waits
// for them (full queues drop, and say so in the history or the health
// check). Each node evaluates its own traffic: objectives are per node.
package slo
