package sentinel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Alert is the body the webhook receives for an incident.
type Alert struct {
	Incident Incident `json:"incident"`
	Label    string   `json:"label"`
	Reason   string   `json:"reason"`
}

// HeaderSignature signs a webhook delivery: t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<body>" with the webhook secret>. A receiver checks
// it and refuses deliveries older than a few minutes (replays).
const HeaderSignature = "X-Mobo-Signature"

// alerter delivers alerts on its own goroutine, retrying each up to three
// times with backoff; a full queue drops (alerts are also in the record).
type alerter struct {
	cfg     WebhookConfig
	client  *http.Client
	log     *slog.Logger
	ch      chan Alert
	sent    atomic.Int64
	dropped atomic.Int64
}

func newAlerter(cfg WebhookConfig, client *http.Client, log *slog.Logger) *alerter {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &alerter{cfg: cfg, client: client, log: log, ch: make(chan Alert, 256)}
}

func (a *alerter) send(al Alert) {
	if a.cfg.URL == "" {
		return
	}
	select {
	case a.ch <- al:
	default:
		a.dropped.Add(1)
	}
}

func (a *alerter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case al := <-a.ch:
			a.deliver(ctx, al)
		}
	}
}

func (a *alerter) deliver(ctx context.Context, al Alert) {
	body, err := json.Marshal(al)
	if err != nil {
		return
	}
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err = a.post(ctx, body)
		if err == nil {
			a.sent.Add(1)
			return
		}
		if attempt == 3 || ctx.Err() != nil {
			a.log.Error("sentinel webhook failed", "incident", al.Incident.ID, "attempts", attempt, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
			wait *= 4
		}
	}
}

func (a *alerter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSignature, Sign(a.cfg.Secret, time.Now(), body))
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// Sign is the value of [HeaderSignature] for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
