package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several mobo nodes may serve one control plane, and the CLI may change
// its rows with no server running: a node cannot assume that its own
// writes are the only changes. Tables whose changes every node must apply
// at once (projects, the sentinel's blocks) have a trigger that announces
// each change on a channel; [ControlPlane.Follow] listens there for a
// component.

// followBackoff bounds the wait between listener reconnections.
const (
	followBackoffMin = 100 * time.Millisecond
	followBackoffMax = 10 * time.Second
)

// Follow listens on channel with a connection of its own until ctx ends,
// reconnecting with backoff. At each (re)connection, once listening, sync
// brings the component up to date with every stored row (announcements
// made while disconnected are lost, so the rows are compared again); then
// changed applies each announcement (its payload names what changed), and
// its error ends the connection so that the next sync recovers. Follow
// blocks: run it on a goroutine of the component's.
func (c *ControlPlane) Follow(ctx context.Context, channel string, sync func(context.Context) error, changed func(ctx context.Context, payload string) error) {
	backoff := followBackoffMin
	for {
		connected, err := c.follow(ctx, channel, sync, changed)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = followBackoffMin
		}
		c.log.Warn("following control plane changes; reconnecting", "channel", channel, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, followBackoffMax)
	}
}

// follow listens until the connection fails; connected reports whether it
// got as far as listening.
func (c *ControlPlane) follow(ctx context.Context, channel string, sync func(context.Context) error, changed func(context.Context, string) error) (connected bool, err error) {
	pool, err := c.Pool()
	if err != nil {
		return false, err
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		return false, fmt.Errorf("connecting to the control plane: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, err
	}
	if err := sync(ctx); err != nil {
		return true, fmt.Errorf("bringing %s up to date: %w", channel, err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		if err := changed(ctx, n.Payload); err != nil {
			return true, err
		}
	}
}
