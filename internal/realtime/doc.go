// Package realtime is the "realtime" component: Supabase Realtime's
// protocol (Phoenix channels over a websocket at /realtime/v1/websocket,
// serializers 1.0.0 and 2.0.0 with its binary broadcast frames), so that
// supabase.channel(...) from @supabase/supabase-js works unchanged.
//
// It owns, per project:
//
//   - change capture: a logical replication slot ([SlotName]) decoded with
//     pglogrepl (pgoutput) from the supabase_realtime publication, which
//     tables join with ALTER PUBLICATION … ADD TABLE, and from
//     realtime.messages (broadcast from the database). Each [Change] is
//     published on the kernel bus under
//     realtime.<ref>.changes.<schema>.<table>.<event>; the slot's position is
//     confirmed only after the transaction's changes were delivered to the
//     bus, so a restart resumes where delivery stopped (at least once).
//     Capture (the slot's walsender and a catalog connection) runs only
//     while needed, so idle projects hold no connection: the first channel
//     join of a project (any kind: broadcast needs it for realtime.send)
//     creates the slot, before its reply, and starts it; it stops
//     [Config.HoldWindow] after the last channel left. The slot is kept
//     (it retains WAL) so that a project's changes committed meanwhile, or
//     while mobo was down, still reach channels that rejoin; at boot the
//     projects whose slot exists resume capture. The slot is dropped with
//     the project ([Server.Teardown]), or once unused it holds back more
//     than [Config.MaxSlotWALMB] of WAL (or PostgreSQL invalidated it):
//     channels are then told with a system message that changes were lost
//     (slots.go). A channel joined with config.broadcast.replication_ready
//     is told with a system message once the capture streams (ready.go);
//   - fan-out: one goroutine takes changes off the bus, keeps the last
//     [Config.HoldWindow] of them for channels that rejoin, matches them
//     against the channels' postgres_changes bindings and filters, checks
//     row visibility under RLS (the changes waiting together are checked
//     with one query per distinct (role, claims, table), in the snapshot
//     that first shows their transactions), and queues the frames, each
//     encoded once per distinct (topic, bindings, select): a binding's
//     select ([selection]) keeps the chosen columns and the primary key in
//     the payload, as Supabase Realtime's; another delivers
//     broadcasts and presence diffs (bus topic realtime.<ref>.fanout.<topic>);
//   - the database side, migrated by the tenant setup hook [Server.Setup]:
//     the realtime schema (messages with RLS, topic(), send() (which sets
//     realtime.topic for its insert, so policies on it apply as Supabase's),
//     send_binary(), broadcast_changes()) and the publications (no slot:
//     that waits for a subscriber); the teardown
//     hook [Server.Teardown] drops the slot and publications before the
//     project's database is dropped.
//
// Concurrency: each socket has a reader (the HTTP handler's goroutine) and
// a writer draining a bounded queue ([Config.SendQueue]); producers never
// block on a socket, and a socket whose queue overflows is closed with
// status 1008 and the reason "send queue full: client too slow". The
// writer frames the messages waiting when it wakes onto the corked network
// connection and sends them with one system call (cork.go). A goroutine
// measures the replication slots every [Config.SlotCheckInterval]. Start and
// Stop may be called again after Stop (the kernel restarts components);
// Stop closes every socket with 1001 "server stopping" and waits for all
// goroutines.
package realtime
