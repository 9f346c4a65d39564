package auth

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// TestDisabledFeatures: the endpoints of features that are off answer with
// GoTrue's status, error_code and message, not a 404 not_found.
func TestDisabledFeatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.signUp(t, "off@example.com", "password1").str("access_token")
	azure := "x." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://login.microsoftonline.com/t/v2.0"}`)) + ".y"
	notAzure := "x." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://evil.example"}`)) + ".y"
	tests := []struct {
		name, method, path string
		apikey, bearer     string // "anon", "user" or ""
		body               any
		status             int
		code, msg          string
	}{
		{"sso", "POST", "/sso", "anon", "", map[string]any{"domain": "example.com"}, 404, "saml_provider_disabled", "SAML 2.0 is disabled"},
		{"saml metadata without apikey", "GET", "/sso/saml/metadata", "", "", nil, 404, "saml_provider_disabled", "SAML 2.0 is disabled"},
		{"saml acs without apikey", "POST", "/sso/saml/acs", "", "", nil, 404, "saml_provider_disabled", "SAML 2.0 is disabled"},
		{"link identity", "GET", "/user/identities/authorize?provider=github", "anon", "user", nil, 404, "manual_linking_disabled", "Manual linking is disabled"},
		{"link identity signed out", "GET", "/user/identities/authorize?provider=github", "anon", "", nil, 401, "no_authorization", ""},
		{"unlink identity", "DELETE", "/user/identities/8f0e2c4e-0000-4000-8000-000000000000", "anon", "user", nil, 404, "manual_linking_disabled", "Manual linking is disabled"},
		{"passkey options", "POST", "/passkeys/authentication/options", "anon", "", nil, 404, "passkey_disabled", "Passkeys are disabled"},
		{"passkey list", "GET", "/passkeys", "anon", "user", nil, 404, "passkey_disabled", "Passkeys are disabled"},
		{"authorize known provider", "GET", "/authorize?provider=github", "", "", nil, 400, "validation_failed", "Unsupported provider: provider is not enabled"},
		{"authorize unknown provider", "GET", "/authorize?provider=Myspace", "", "", nil, 400, "validation_failed", "Unsupported provider: Provider myspace could not be found"},
		{"web3", "POST", "/token?grant_type=web3", "anon", "", map[string]any{"chain": "solana"}, 422, "web3_provider_disabled", "Web3 provider is disabled"},
		{"id_token google", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "google", "id_token": "x.y.z"}, 400, "provider_disabled", `Provider (issuer "https://accounts.google.com") is not enabled`},
		{"id_token by issuer", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"issuer": "https://www.facebook.com", "client_id": "c", "id_token": "x.y.z"}, 400, "provider_disabled", `Provider (issuer "https://www.facebook.com") is not enabled`},
		{"id_token azure", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "azure", "id_token": azure}, 400, "provider_disabled", `Provider (issuer "https://login.microsoftonline.com/t/v2.0") is not enabled`},
		{"id_token azure, other issuer", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "azure", "id_token": notAzure}, 400, "validation_failed", "Detected ID token issuer is not an Azure ID token issuer"},
		{"id_token apple, junk token", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "apple", "id_token": "junk"}, 400, "validation_failed", "Unable to detect issuer in ID token for Apple provider"},
		{"id_token unknown provider", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "myspace", "id_token": "x.y.z"}, 400, "validation_failed", `Custom OIDC provider "myspace" not allowed`},
		{"id_token custom provider", "POST", "/token?grant_type=id_token", "anon", "", map[string]any{"provider": "custom:acme", "id_token": "x.y.z"}, 400, "validation_failed", "Custom OAuth providers are disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := map[string]string{"anon": e.anon}[tt.apikey]
			bearer := map[string]string{"user": tok}[tt.bearer]
			r := e.callKey(t, tt.method, tt.path, key, bearer, tt.body).want(t, tt.status, tt.code)
			if tt.msg != "" && r.str("msg") != tt.msg {
				t.Errorf("msg = %q, want %q", r.str("msg"), tt.msg)
			}
			if tt.code != "" && r.body["code"] != float64(tt.status) {
				t.Errorf("code = %v, want %d", r.body["code"], tt.status)
			}
		})
	}
	// The grant's own request errors are OAuth-shaped, as GoTrue's are.
	for body, desc := range map[string]string{
		`{"provider":"google"}`: "id_token required",
		`{"id_token":"x.y.z"}`:  "provider or client_id and issuer required",
		`{"id_token":"x","issuer":"https://accounts.google.com"}`: "provider or client_id and issuer required",
	} {
		var b map[string]any
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatal(err)
		}
		r := e.call(t, "POST", "/token?grant_type=id_token", "", b).want(t, 400, "")
		if r.str("error") != "invalid request" || r.str("error_description") != desc || r.body["msg"] != nil {
			t.Errorf("%s: %s", body, r.raw)
		}
	}
	set := e.call(t, "GET", "/settings", "", nil).want(t, 200, "")
	ext := set.body["external"].(map[string]any)
	if ext["github"] != false || ext["saml"] != false || ext["email"] != true {
		t.Errorf("settings.external = %v", ext)
	}
}
