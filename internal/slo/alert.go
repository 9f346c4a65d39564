package slo

import (
	"maps"
	"slices"
	"time"
)

// State is an alert's state.
type State string

// The states. A firing alert that stops burning is resolved: it goes back
// to inactive, with ResolvedAt set.
const (
	StateInactive State = "inactive"
	StatePending  State = "pending" // burning, for less than the alert's "for"
	StateFiring   State = "firing"
)

// Alert is the alert of one objective at one severity: there is one per
// pair, whatever its state.
type Alert struct {
	// ID is "<objective>:<severity>".
	ID        string  `json:"id"`
	Objective string  `json:"objective"`
	API       string  `json:"api"`
	Project   string  `json:"project"`
	Kind      string  `json:"kind"`
	Severity  string  `json:"severity"`
	Target    float64 `json:"target"`
	State     State   `json:"state"`
	// ActiveSince is when the current episode began (pending or firing).
	ActiveSince time.Time `json:"active_since,omitzero"`
	FiredAt     time.Time `json:"fired_at,omitzero"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	// BurnRates are the burn rates of the windows of this severity's
	// alert pairs ("5m", "1h", …) at the latest evaluation.
	BurnRates map[string]float64 `json:"burn_rates"`
	// Reason names the pair that made it fire: "1h and 5m above 14.4×".
	Reason string `json:"reason,omitempty"`
	Ack    *Ack   `json:"ack,omitempty"`
	// EscalatedAt is when the alert was escalated (firing unacknowledged
	// past its route's escalate_after).
	EscalatedAt time.Time `json:"escalated_at,omitzero"`
	// SilencedBy are the silences in force over it.
	SilencedBy []string `json:"silenced_by,omitempty"`
	// Notified says the current episode was notified as firing (so its
	// resolution is notified too); LastNotified is when, last.
	Notified     bool      `json:"notified"`
	LastNotified time.Time `json:"last_notified,omitzero"`
}

// Ack is an acknowledgement: someone is on it. It stops the alert's
// escalation and its repeated notifications until the alert resolves.
type Ack struct {
	By      string    `json:"by"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

func (a *Alert) active() bool   { return a.State == StatePending || a.State == StateFiring }
func (a *Alert) silenced() bool { return len(a.SilencedBy) > 0 }

func (a *Alert) clone() Alert {
	c := *a
	c.BurnRates = maps.Clone(a.BurnRates)
	c.SilencedBy = slices.Clone(a.SilencedBy)
	if a.Ack != nil {
		ack := *a.Ack
		c.Ack = &ack
	}
	return c
}

// label is the value of one of [groupLabels].
func (a *Alert) label(name string) string {
	switch name {
	case "objective":
		return a.Objective
	case "api":
		return a.API
	case "project":
		return a.Project
	case "kind":
		return a.Kind
	case "severity":
		return a.Severity
	}
	return ""
}

// AlertEvent is published on the bus ([TopicAlert]) at each transition.
type AlertEvent struct {
	Alert Alert     `json:"alert"`
	From  State     `json:"from"`
	To    State     `json:"to"`
	At    time.Time `json:"at"`
}

// TopicAlert is the bus topic of alert transitions.
const TopicAlert = "slo.alert"

// Notification is what a receiver gets: the webhook's JSON body, and the
// substance of the email.
type Notification struct {
	Receiver string `json:"receiver"`
	// Status is "firing" while any of the alerts fires, else "resolved".
	Status string `json:"status"`
	// Escalation marks a notification sent to a route's escalate_to.
	Escalation  bool              `json:"escalation,omitempty"`
	GroupKey    string            `json:"group_key"`
	GroupLabels map[string]string `json:"group_labels"`
	Alerts      []NotifiedAlert   `json:"alerts"`
	At          time.Time         `json:"at"`
}

// NotifiedAlert is an alert in a notification, with its status there.
type NotifiedAlert struct {
	Status string `json:"status"` // firing or resolved
	Alert
}
