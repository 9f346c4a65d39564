package rest

import (
	"net/http"
	"testing"
)

const geoJSON = "application/geo+json"

// TestGeoJSONWithoutPostGIS: a database without PostGIS cannot answer
// application/geo+json; it says so with 406 rather than failing in SQL.
func TestGeoJSONWithoutPostGIS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	e.check(t, scenario{
		path: "/users", header: map[string]string{"Accept": geoJSON}, status: http.StatusNotAcceptable,
		has: []string{"PGRST107", "application/geo+json", "PostGIS is not installed"},
	})
}

// TestGeoJSON: reads of a PostGIS table as application/geo+json are a
// FeatureCollection of the rows, filters and select applying as to JSON.
// It needs PostGIS in the cluster (Debian: postgresql-15-postgis-3, which
// CI installs); without it the test skips.
func TestGeoJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Config{})
	ctx := t.Context()
	var available bool
	if err := e.db.Pool.QueryRow(ctx, "select exists (select from pg_available_extensions where name = 'postgis')").Scan(&available); err != nil {
		t.Fatal(err)
	}
	if !available {
		t.Skip("PostGIS is not installed in this PostgreSQL (Debian: apt-get install postgresql-15-postgis-3); application/geo+json untested")
	}
	if _, err := e.db.Pool.Exec(ctx, `create extension postgis;
		create table places (id int primary key, name text not null, geom geometry(Point, 4326));
		grant select on places to anon;
		insert into places values (1, 'origin', 'SRID=4326;POINT(0 0)'), (2, 'paris', 'SRID=4326;POINT(2.35 48.85)'),
		  (3, 'nowhere', null)`); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, "/places?select=id", http.StatusOK)
	geo := map[string]string{"Accept": geoJSON}
	ct := map[string]string{"Content-Type": "application/geo+json; charset=utf-8"}
	runScenarios(t, e, []scenario{
		{
			name: "feature collection", path: "/places?order=id&id=lt.3", header: geo, status: 200, headers: ct,
			want: `{"type":"FeatureCollection","features":[
				{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"id":1,"name":"origin"}},
				{"type":"Feature","geometry":{"type":"Point","coordinates":[2.35,48.85]},"properties":{"id":2,"name":"paris"}}]}`,
		},
		{
			name: "select and filter", path: "/places?select=name,geom&name=eq.paris", header: geo, status: 200, headers: ct,
			want: `{"type":"FeatureCollection","features":[
				{"type":"Feature","geometry":{"type":"Point","coordinates":[2.35,48.85]},"properties":{"name":"paris"}}]}`,
		},
		// A row without a geometry is still a feature (how PostGIS renders
		// its missing geometry depends on its version).
		{name: "null geometry", path: "/places?id=eq.3", header: geo, status: 200, has: []string{`"type": "Feature"`, `"nowhere"`}},
		{
			name: "no rows", path: "/places?id=eq.99", header: geo, status: 200,
			want: `{"type":"FeatureCollection","features":[]}`,
		},
		{
			name: "plain json still", path: "/places?select=id,geom&id=eq.2", status: 200,
			has: []string{`"geom":{"type":"Point"`, `"coordinates":[2.35,48.85]`},
		},
	})
}
