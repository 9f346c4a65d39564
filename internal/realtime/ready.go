package realtime

import (
	"bytes"
	"context"
	"time"
)

// The replication ready handshake: a channel joined with
// config.broadcast.replication_ready is sent, once the project's capture
// streams its slot (so that what realtime.send and broadcast_changes write
// from then on reaches it), the system message Supabase Realtime sends then;
// a capture that does not stream within [Config.ReplicationReadyTimeout]
// closes the channel with an error, as Supabase's does.

const (
	msgReplicationReady   = "Replication connection established"
	msgReplicationTimeout = "Replication connection was not established in time"
)

// flexBool is a join option's boolean as Supabase Realtime reads it: true
// or "true"; anything else (false, "false", another value) is false rather
// than an invalid join.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	*b = flexBool(bytes.Equal(data, []byte("true")) || bytes.Equal(data, []byte(`"true"`)))
	return nil
}

// awaitReady sends ch the replication ready message now if the capture
// streams, or once it does. The caller holds p.mu, with ch registered.
func (p *project) awaitReady(ch *channel) {
	if p.streaming {
		ch.sock.system(ch, "ok", evSystem, msgReplicationReady)
		return
	}
	ch.readyPending = true
	ch.readyTimer = time.AfterFunc(p.s.cfg.ReplicationReadyTimeout, func() { p.readyTimedOut(ch) })
}

// setStreaming records whether the capture streams the slot; when it
// starts, the channels waiting for it are told.
func (p *project) setStreaming(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streaming = on
	if !on {
		return
	}
	for ch := range p.channels {
		if ch.readyPending {
			ch.readyPending = false
			ch.readyTimer.Stop()
			ch.sock.system(ch, "ok", evSystem, msgReplicationReady)
		}
	}
}

// readyTimedOut closes ch if the capture still does not stream.
func (p *project) readyTimedOut(ch *channel) {
	p.mu.Lock()
	pending := ch.readyPending
	ch.readyPending = false
	p.mu.Unlock()
	if pending {
		ch.sock.shutdown(context.Background(), ch, nil, msgReplicationTimeout)
	}
}

// stopReady ends ch's wait, if any. The caller holds p.mu.
func (ch *channel) stopReady() {
	if ch.readyPending {
		ch.readyPending = false
		ch.readyTimer.Stop()
	}
}
