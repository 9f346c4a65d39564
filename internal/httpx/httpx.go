// Package httpx holds small HTTP helpers shared by every API component:
// JSON responses and the request id carried in the context. It owns no state.
package httpx

import (
	"context"
	"encoding/json"
	"net/http"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-Id"

type ctxKey struct{}

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the id of the request that ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

type projectKey struct{}

// DefaultProject is the ref of the project served at the root paths.
const DefaultProject = "default"

// WithProject returns ctx carrying the ref of the project a request is for.
// The gateway sets it from /p/{ref}/… or {ref}.<base domain>.
func WithProject(ctx context.Context, ref string) context.Context {
	return context.WithValue(ctx, projectKey{}, ref)
}

// ProjectRef returns the ref of the project a request is for: the default
// project unless the gateway routed it to another.
func ProjectRef(ctx context.Context) string {
	if ref, ok := ctx.Value(projectKey{}).(string); ok && ref != "" {
		return ref
	}
	return DefaultProject
}

type clientIPKey struct{}

// WithClientIP returns ctx carrying the client's address as the gateway
// worked it out (X-Forwarded-For from trusted proxies only).
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client address the gateway put in ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
