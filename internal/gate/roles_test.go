package gate

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// roleSwitch matches SQL that switches the session or transaction to
// another role.
var roleSwitch = regexp.MustCompile(`(?i)set_config\(\s*'role'|(^|;)\s*set\s+(local\s+|session\s+)?role\b|\bsession\s+authorization\b`)

// TestOnlyTheGateSwitchesRoles: no string literal of the module's
// production code outside this package switches roles, so the only way to
// run SQL as a principal is a [Decision]'s transaction. (The wire pooler
// logs in with the role as a startup parameter, after SCRAM with the
// project's service key; benchmarks' bare baselines are not production;
// the sentinel's corpus is attack payloads, data that is never run.)
func TestOnlyTheGateSwitchesRoles(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	own, _ := filepath.Abs(".")
	payloads := filepath.Join(root, "internal", "sentinel", "corpus")
	var seen int
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch name := d.Name(); {
			case path == own, path == payloads, name == "node_modules", name == "testdata", strings.HasPrefix(name, "."),
				strings.HasSuffix(name, "bench") && filepath.Base(filepath.Dir(path)) == "cmd":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "pgtest") || strings.Contains(path, "tenanttest") {
			return nil
		}
		seen++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && roleSwitch.MatchString(s) {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s: switches roles outside the gate: %q", rel, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 50 {
		t.Fatalf("walked only %d files from %s", seen, root)
	}
}
