package kernel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/magflock/mobo/"

// TestComponentsImportNoComponent: components meet through the kernel, the
// bus, hooks or small interfaces their consumers declare, never by
// importing each other. A package of internal/ is a component when a type
// of its production code has a Requires method (kernel.Component's).
func TestComponentsImportNoComponent(t *testing.T) {
	t.Parallel()
	internal, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string][]string{} // package path → module imports
	components := map[string]bool{}
	err = filepath.WalkDir(internal, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(internal), filepath.Dir(path))
		pkg := module + filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, module) && !slices.Contains(imports[pkg], p) {
				imports[pkg] = append(imports[pkg], p)
			}
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Name.Name == "Requires" {
				components[pkg] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(components) < 8 {
		t.Fatalf("found only %d components under %s", len(components), internal)
	}
	for pkg, deps := range imports {
		if !components[pkg] {
			continue
		}
		for _, dep := range deps {
			if components[dep] {
				t.Errorf("component %s imports component %s", strings.TrimPrefix(pkg, module), strings.TrimPrefix(dep, module))
			}
		}
	}
}
