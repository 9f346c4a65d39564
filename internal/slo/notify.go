package slo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// HeaderSignature signs a webhook delivery as the sentinel's do:
// t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the
// receiver's secret>. A receiver checks it and refuses old deliveries.
const HeaderSignature = "X-Mobo-Signature"

// Sign is the value of [HeaderSignature] for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Mailer sends one plain-text message to some addresses.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// notifier delivers notifications on its own goroutine, retrying each
// delivery up to three times with backoff; a full queue drops (the
// history says so).
type notifier struct {
	receivers map[string]Receiver
	client    *http.Client
	mailer    Mailer
	log       *slog.Logger
	ch        chan Notification
	// done records each delivery's outcome (in the history).
	done func(n Notification, err error)
}

func (nt *notifier) send(n Notification) bool {
	select {
	case nt.ch <- n:
		return true
	default:
		return false
	}
}

func (nt *notifier) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-nt.ch:
			nt.done(n, nt.deliver(ctx, n))
		}
	}
}

func (nt *notifier) deliver(ctx context.Context, n Notification) error {
	r, ok := nt.receivers[n.Receiver]
	if !ok {
		return fmt.Errorf("no receiver %q", n.Receiver)
	}
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := nt.once(ctx, r, n)
		if err == nil {
			return nil
		}
		if attempt == 3 || ctx.Err() != nil {
			nt.log.Error("slo notification failed", "receiver", r.Name, "attempts", attempt, "err", err)
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
			wait *= 4
		}
	}
}

func (nt *notifier) once(ctx context.Context, r Receiver, n Notification) error {
	if r.Webhook != "" {
		body, err := json.Marshal(n)
		if err != nil {
			return err
		}
		if err := nt.post(ctx, r, body); err != nil {
			return err
		}
	}
	if len(r.Email) > 0 {
		subject, body := mailOf(n)
		if err := nt.mailer.Send(ctx, r.Email, subject, body); err != nil {
			return fmt.Errorf("mailing %s: %w", r.Name, err)
		}
	}
	return nil
}

func (nt *notifier) post(ctx context.Context, r Receiver, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderSignature, Sign(r.Secret, time.Now(), body))
	resp, err := nt.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook %s answered %s", r.Name, resp.Status)
	}
	return nil
}

// mailOf writes a notification as a subject and a text body.
func mailOf(n Notification) (subject, body string) {
	firing := 0
	names := make([]string, 0, len(n.Alerts))
	for _, a := range n.Alerts {
		if a.Status == "firing" {
			firing++
		}
		names = append(names, a.ID)
	}
	prefix := "[" + strings.ToUpper(n.Status)
	if firing > 0 {
		prefix += ":" + strconv.Itoa(firing)
	}
	prefix += "]"
	if n.Escalation {
		prefix = "[ESCALATED]" + prefix
	}
	subject = prefix + " mobo SLO " + strings.Join(names, ", ")
	var b strings.Builder
	for _, a := range n.Alerts {
		fmt.Fprintf(&b, "%s  %s (%s, api %s, project %s, target %.4g%%)\n", strings.ToUpper(a.Status), a.ID, a.Kind, a.API, a.Project, a.Target*100)
		if a.Reason != "" {
			fmt.Fprintf(&b, "  %s\n", a.Reason)
		}
		if !a.FiredAt.IsZero() {
			fmt.Fprintf(&b, "  firing since %s\n", a.FiredAt.UTC().Format(time.RFC3339))
		}
		if a.Status == "resolved" && !a.ResolvedAt.IsZero() {
			fmt.Fprintf(&b, "  resolved at %s\n", a.ResolvedAt.UTC().Format(time.RFC3339))
		}
		if a.Ack != nil {
			fmt.Fprintf(&b, "  acknowledged by %s at %s\n", a.Ack.By, a.Ack.At.UTC().Format(time.RFC3339))
		}
	}
	b.WriteString("\nmobo slo alerts   shows them; mobo slo ack ID   acknowledges one.\n")
	return subject, b.String()
}

// SMTPMailer sends mail through [slo.smtp].
type SMTPMailer struct{ Config SMTPConfig }

// Send implements [Mailer].
func (m SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	cfg := m.Config
	if cfg.Host == "" {
		return fmt.Errorf("slo.smtp.host is not set")
	}
	if strings.ContainsAny(subject, "\r\n") {
		return fmt.Errorf("mail subject with a line break")
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: 10 * time.Second}
	var (
		conn net.Conn
		err  error
	)
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("greeting the SMTP server: %w", err)
	}
	defer func() { _ = c.Close() }()
	if cfg.TLS != "none" && cfg.TLS != "tls" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsCfg); err != nil {
				return fmt.Errorf("starting TLS with the SMTP server: %w", err)
			}
		} else if cfg.TLS == "starttls" {
			return fmt.Errorf("the SMTP server %s does not offer STARTTLS", addr)
		}
	}
	if cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.User, cfg.Pass, cfg.Host)); err != nil {
			return fmt.Errorf("authenticating with the SMTP server: %w", err)
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return fmt.Errorf("smtp RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	msg := "From: " + cfg.From + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	return c.Quit()
}
