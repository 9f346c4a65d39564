package auth

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Mailer sends one message.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// SMSSender sends one text message. Implementations plug a provider
// (Twilio, MessageBird, …) in with [WithSMSSender].
type SMSSender interface {
	SendSMS(ctx context.Context, phone, body string) error
}

type logSMS struct{ log *slog.Logger }

func (l logSMS) SendSMS(ctx context.Context, phone, _ string) error {
	l.log.WarnContext(ctx, "no SMS sender configured; the message was not sent", "phone", phone)
	return nil
}

// SMTPMailer sends mail over SMTP; without a host it logs that mail is off.
type SMTPMailer struct {
	cfg SMTPConfig
	log *slog.Logger
}

// Send implements [Mailer].
func (m *SMTPMailer) Send(ctx context.Context, to, subject, body string) error {
	if m.cfg.Host == "" {
		m.log.WarnContext(ctx, "auth.smtp.host is not set; mail was not sent", "to", to, "subject", subject)
		return nil
	}
	if strings.ContainsAny(to, "\r\n") || strings.ContainsAny(subject, "\r\n") {
		return fmt.Errorf("mail header with a line break")
	}
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	d := net.Dialer{Timeout: 10 * time.Second}
	var (
		conn net.Conn
		err  error
	)
	if m.cfg.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", addr)
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
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("greeting the SMTP server: %w", err)
	}
	defer func() { _ = c.Close() }()
	if m.cfg.TLS != "none" && m.cfg.TLS != "tls" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(&tls.Config{ServerName: m.cfg.Host, MinVersion: tls.VersionTLS12}); err != nil {
				return fmt.Errorf("starting TLS with the SMTP server: %w", err)
			}
		} else if m.cfg.TLS == "starttls" {
			return fmt.Errorf("the SMTP server %s does not offer STARTTLS", addr)
		}
	}
	if m.cfg.User != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.User, m.cfg.Pass, m.cfg.Host)); err != nil {
			return fmt.Errorf("authenticating with the SMTP server: %w", err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil { //nolint:gosec // From is configuration, checked for line breaks in Validate
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("smtp RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	msg := "From: " + m.cfg.From + "\r\nTo: " + to + "\r\nSubject: " + subject +
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
