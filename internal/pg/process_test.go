package pg

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFilterEnv(t *testing.T) {
	t.Parallel()
	environ := []string{
		"PATH=/usr/bin:/bin",
		"HOME=/root",
		"TZ=Europe/Paris",
		"TMPDIR=/var/tmp",
		"LD_LIBRARY_PATH=/opt/pg/lib",
		"MOBO_JWT_SECRET=s3cret",
		"MOBO_DATABASE_URL=postgres://u:pw@db/x",
		"MOBO_ADMIN_KEY=key",
		"AWS_SECRET_ACCESS_KEY=aws",
		"PGDATA=/elsewhere",
		"PGPASSWORD=pw",
		"LANG=de_DE.UTF-8",
		"LC_MESSAGES=de_DE.UTF-8",
		"LC_ALL=de_DE.UTF-8",
		"PATHLIKE=x",
		"no equals sign",
	}
	want := []string{
		"PATH=/usr/bin:/bin",
		"HOME=/root",
		"TZ=Europe/Paris",
		"TMPDIR=/var/tmp",
		"LD_LIBRARY_PATH=/opt/pg/lib",
		"LC_ALL=C",
	}
	if diff := cmp.Diff(want, filterEnv(environ)); diff != "" {
		t.Errorf("filterEnv (-want +got):\n%s", diff)
	}
}
