package sentinel

// Standard returns o with cfg and the sentinel's own agents: the value
// agents (SQL injection, script injection, path traversal) and the
// behaviour agents (API abuse, authentication attacks, exfiltration,
// privilege probing).
func Standard(cfg Config, o Options) Options {
	o.Config = cfg
	return o
}

// SetResponder sets who carries out revocations (the auth component,
// built after the sentinel it consults). Call it before Start.
func (s *Sentinel) SetResponder(r Responder) { s.resp = r }
