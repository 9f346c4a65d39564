package rest

import "testing"

// TestBadValuesAreClientErrors: values that do not parse as the column's
// type are 400s, whichever side (pgx or PostgreSQL) notices.
func TestBadValuesAreClientErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	for _, q := range []string{
		"/todos?user_id=eq.abc", "/todos?user_id=in.(abc,def)", "/todos?id=eq.1.5", "/todos?id=in.(x)",
		"/todos?done=eq.maybe", "/todos?during=ov.nope", "/posts?score=gt.abc", "/posts?data=cs.{bad", "/posts?tags=cs.nope",
		"/todos?id=eq(any).{a}", "/todos?mood=eq.angry", "/posts?id=eq.99999999999999999999",
	} {
		t.Run(q, func(t *testing.T) {
			e.check(t, scenario{path: q, as: "service", status: 400})
		})
	}
}
