package realtime

import (
	"fmt"
	"time"
)

// Config configures the realtime component. The zero value is the default.
type Config struct {
	// HoldWindow is how long recent changes are kept for channels that
	// rejoin (after a reconnect or a restart). Default 30s.
	HoldWindow time.Duration `toml:"hold_window" yaml:"hold_window" json:"hold_window"`
	// SendQueue bounds each socket's outgoing queue, in messages; a client
	// that lets it overflow is disconnected. Default 1024.
	SendQueue int `toml:"send_queue" yaml:"send_queue" json:"send_queue"`
	// WriteTimeout bounds one websocket write. Default 10s.
	WriteTimeout time.Duration `toml:"write_timeout" yaml:"write_timeout" json:"write_timeout"`
	// MaxChannels bounds the channels one socket may join. Default 100.
	MaxChannels int `toml:"max_channels" yaml:"max_channels" json:"max_channels"`
	// MaxSlotWALMB bounds, in megabytes, the WAL that an unused replication
	// slot (a project nobody subscribes to, its capture stopped) may hold
	// back: past it the slot is dropped, and the project's channels are told
	// with a system message that changes committed meanwhile were not
	// captured. Default 1024.
	MaxSlotWALMB int `toml:"max_slot_wal_mb" yaml:"max_slot_wal_mb" json:"max_slot_wal_mb"`
	// SlotCheckInterval is how often the slots are measured against
	// MaxSlotWALMB. Default 1m.
	SlotCheckInterval time.Duration `toml:"slot_check_interval" yaml:"slot_check_interval" json:"slot_check_interval"`
	// TokenCheckInterval is how often each joined channel's token is
	// checked again: a channel whose token expired or no longer verifies
	// (the project's secret rotated, its key revoked) is told why and
	// closed, as Supabase Realtime does. Default 15s.
	TokenCheckInterval time.Duration `toml:"token_check_interval" yaml:"token_check_interval" json:"token_check_interval"`
	// MaxMessageBytes bounds a websocket frame from a client (a larger one
	// closes the socket with 1009) and an HTTP broadcast body (413).
	// Default 1 MiB.
	MaxMessageBytes int64 `toml:"max_message_bytes" yaml:"max_message_bytes" json:"max_message_bytes"`
	// ReplicationReadyTimeout bounds how long a channel joined with
	// config.broadcast.replication_ready waits for the project's change
	// capture to stream; past it the channel is closed with an error, as
	// Supabase Realtime does. Default 1m.
	ReplicationReadyTimeout time.Duration `toml:"replication_ready_timeout" yaml:"replication_ready_timeout" json:"replication_ready_timeout"`
}

// Validate reports a bad value.
func (c Config) Validate() error {
	switch {
	case c.HoldWindow < 0:
		return fmt.Errorf("realtime.hold_window %v is negative", c.HoldWindow)
	case c.SendQueue < 0:
		return fmt.Errorf("realtime.send_queue %d is negative", c.SendQueue)
	case c.WriteTimeout < 0:
		return fmt.Errorf("realtime.write_timeout %v is negative", c.WriteTimeout)
	case c.MaxChannels < 0:
		return fmt.Errorf("realtime.max_channels %d is negative", c.MaxChannels)
	case c.MaxSlotWALMB < 0:
		return fmt.Errorf("realtime.max_slot_wal_mb %d is negative", c.MaxSlotWALMB)
	case c.SlotCheckInterval < 0:
		return fmt.Errorf("realtime.slot_check_interval %v is negative", c.SlotCheckInterval)
	case c.TokenCheckInterval < 0:
		return fmt.Errorf("realtime.token_check_interval %v is negative", c.TokenCheckInterval)
	case c.ReplicationReadyTimeout < 0:
		return fmt.Errorf("realtime.replication_ready_timeout %v is negative", c.ReplicationReadyTimeout)
	case c.MaxMessageBytes < 0 || c.MaxMessageBytes > 64<<20:
		return fmt.Errorf("realtime.max_message_bytes %d is not between 0 (the default) and 64 MiB", c.MaxMessageBytes)
	}
	return nil
}

// DefaultConfig is the zero Config with its defaults spelled out.
func DefaultConfig() Config { return Config{}.withDefaults() }

func (c Config) withDefaults() Config {
	if c.HoldWindow == 0 {
		c.HoldWindow = 30 * time.Second
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = 1 << 20
	}
	if c.SendQueue == 0 {
		c.SendQueue = 1024
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxChannels == 0 {
		c.MaxChannels = 100
	}
	if c.MaxSlotWALMB == 0 {
		c.MaxSlotWALMB = 1024
	}
	if c.SlotCheckInterval == 0 {
		c.SlotCheckInterval = time.Minute
	}
	if c.ReplicationReadyTimeout == 0 {
		c.ReplicationReadyTimeout = time.Minute
	}
	if c.TokenCheckInterval == 0 {
		c.TokenCheckInterval = 15 * time.Second
	}
	return c
}
