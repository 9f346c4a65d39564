package auth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/magflock/mobo/internal/httpx"
)

// Features GoTrue has and mobo does not (yet): SAML single sign-on, OAuth
// and OIDC providers, web3 wallets, manual identity linking and passkeys.
// Their endpoints answer as GoTrue's do when the feature is switched off,
// with its status, error_code and message, so that a client tells "off"
// from "no such endpoint" and supabase-js raises the errors it knows.

// The OAuth providers GoTrue knows, none of which is enabled here.
var oauthProviders = []string{
	"apple", "azure", "bitbucket", "discord", "facebook", "figma", "fly", "github", "gitlab",
	"google", "kakao", "keycloak", "linkedin", "linkedin_oidc", "notion", "slack", "slack_oidc",
	"spotify", "twitch", "twitter", "workos", "zoom",
}

var (
	errSAMLDisabled          = apiErr(http.StatusNotFound, "saml_provider_disabled", "SAML 2.0 is disabled")
	errManualLinkingDisabled = apiErr(http.StatusNotFound, "manual_linking_disabled", "Manual linking is disabled")
	errPasskeysDisabled      = apiErr(http.StatusNotFound, "passkey_disabled", "Passkeys are disabled")
	errWeb3Disabled          = apiErr(http.StatusUnprocessableEntity, "web3_provider_disabled", "Web3 provider is disabled")
)

// oauthError is GoTrue's OAuth-style answer of the token endpoint's grants:
// a 400 with {"error": …, "error_description": …}.
type oauthError struct{ Err, Description string }

func (e *oauthError) Error() string { return e.Err + ": " + e.Description }

// HTTPStatus is 400.
func (e *oauthError) HTTPStatus() int { return http.StatusBadRequest }

// routeDisabled mounts the endpoints of the features that are off.
func (s *Service) routeDisabled(route func(string, handlerFunc, bool)) {
	fail := func(e *Error) handlerFunc {
		return func(http.ResponseWriter, *http.Request, *project) error { return e }
	}
	route("POST /sso", fail(errSAMLDisabled), false)
	// The identity provider's browser POST and metadata fetch carry no apikey.
	route("GET /sso/saml/metadata", fail(errSAMLDisabled), true)
	route("POST /sso/saml/acs", fail(errSAMLDisabled), true)
	route("GET /user/identities/authorize", s.signedIn(fail(errManualLinkingDisabled)), false)
	route("DELETE /user/identities/{id}", s.signedIn(fail(errManualLinkingDisabled)), false)
	route(" /passkeys", fail(errPasskeysDisabled), false)
	route(" /passkeys/", fail(errPasskeysDisabled), false)
	route("GET /authorize", s.handleAuthorize, true)
}

// signedIn requires a valid user token before h, as GoTrue's
// requireAuthentication does ahead of the feature checks.
func (s *Service) signedIn(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *project) error {
		if _, err := s.userFromRequest(r.Context(), p, r); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// handleAuthorize starts an OAuth sign-in: no provider is enabled, so it
// answers GoTrue's "Unsupported provider" for a known one and an unknown one.
func (s *Service) handleAuthorize(_ http.ResponseWriter, r *http.Request, _ *project) error {
	name := strings.ToLower(r.URL.Query().Get("provider"))
	if slices.Contains(oauthProviders, name) {
		return errValidation("Unsupported provider: provider is not enabled")
	}
	return errValidation(fmt.Sprintf("Unsupported provider: Provider %s could not be found", name))
}

// idTokenBody is the id_token grant's body.
type idTokenBody struct {
	IDToken  string `json:"id_token"`
	Provider string `json:"provider"`
	ClientID string `json:"client_id"`
	Issuer   string `json:"issuer"`
}

// idTokenGrant signs in with a provider's OIDC ID token; no provider is
// enabled, so after GoTrue's checks of the request it names the issuer
// that is not.
func idTokenGrant(b idTokenBody) error {
	switch {
	case b.IDToken == "":
		return &oauthError{"invalid request", "id_token required"}
	case b.Provider == "" && (b.ClientID == "" || b.Issuer == ""):
		return &oauthError{"invalid request", "provider or client_id and issuer required"}
	case strings.HasPrefix(b.Provider, "custom:"):
		return errValidation("Custom OAuth providers are disabled")
	}
	issuer, err := idTokenIssuer(b)
	if err != nil {
		return err
	}
	return badRequest("provider_disabled", fmt.Sprintf("Provider (issuer %q) is not enabled", issuer))
}

// idTokenIssuer is the issuer GoTrue takes for the provider's ID tokens:
// fixed for most, read from the token for Apple and Azure (whose issuer
// is per tenant), the configured URL (none) for Keycloak.
func idTokenIssuer(b idTokenBody) (string, error) {
	fixed := map[string]string{"google": "https://accounts.google.com", "facebook": "https://www.facebook.com", "kakao": "https://kauth.kakao.com"}
	for p, iss := range fixed {
		if b.Provider == p || (b.Provider == "" && b.Issuer == iss) {
			return iss, nil
		}
	}
	switch {
	case b.Provider == "apple" || (b.Provider == "" && b.Issuer == "https://appleid.apple.com"):
		if iss := unverifiedIssuer(b.IDToken); iss == "https://appleid.apple.com" {
			return iss, nil
		}
		return "", errValidation("Unable to detect issuer in ID token for Apple provider")
	case b.Provider == "azure":
		iss := unverifiedIssuer(b.IDToken)
		if iss == "" {
			return "", errValidation("Unable to detect issuer in ID token for Azure provider")
		}
		if !strings.HasPrefix(iss, "https://login.microsoftonline.com/") && !strings.HasPrefix(iss, "https://sts.windows.net/") {
			return "", errValidation("Detected ID token issuer is not an Azure ID token issuer")
		}
		return iss, nil
	case b.Provider == "keycloak":
		return "", nil
	}
	return "", errValidation(fmt.Sprintf("Custom OIDC provider %q not allowed", b.Provider))
}

// unverifiedIssuer reads the iss claim of a JWT without verifying it: it
// only names the provider in an error.
func unverifiedIssuer(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Iss
}

// writeOAuthError writes e as GoTrue does.
func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	httpx.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": e.Err, "error_description": e.Description})
}
