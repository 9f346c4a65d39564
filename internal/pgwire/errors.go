package pgwire

import "errors"

// ErrStopped is returned by [Server.Addr] before Start and after Stop.
var ErrStopped = errors.New("pgwire: not listening")

// errProtocol: the client broke the protocol during startup.
var errProtocol = errors.New("protocol violation")

// SQLSTATE codes the pooler sends itself; everything else comes from
// PostgreSQL unchanged.
const (
	codeInvalidPassword      = "28P01" // invalid_password
	codeInvalidAuthorization = "28000" // invalid_authorization_specification
	codeInvalidCatalog       = "3D000" // invalid_catalog_name: no such project
	codeCannotConnectNow     = "57P03" // cannot_connect_now: project paused
	codeAdminShutdown        = "57P01" // admin_shutdown: mobo is stopping
	codeTooManyConnections   = "53300" // too_many_connections: budget or wait timeout
	codeProtocolViolation    = "08P01" // protocol_violation
	codeConnectionFailure    = "08006" // connection_failure: upstream lost
	codeFeatureNotSupported  = "0A000" // feature_not_supported
)
