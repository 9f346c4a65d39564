package kernel

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKernelImportsNoComponent keeps the motherboard independent of what
// plugs into it: of this module it may import only small libraries that own
// no state and import nothing of the module themselves.
var allowedLibraries = map[string]bool{
	"github.com/magflock/mobo/internal/suggest": true,
}

func TestKernelImportsNoComponent(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/magflock/mobo/") && !allowedLibraries[path] {
				t.Errorf("%s imports %s: the kernel must not import components", f, path)
			}
		}
	}
}
