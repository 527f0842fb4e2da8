package layers

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/qgraph/qgraph/"

// rank orders the packages: a package may import only packages of a lower
// rank, or packages under its own path prefix. Longest prefix wins.
var rank = map[string]int{
	"internal/buildinfo":       0,
	"internal/graph":           0,
	"internal/qualys":          1,
	"internal/store":           1,
	"internal/store/sqlite":    2,
	"internal/store/postgres":  2,
	"internal/store/storetest": 3,
	"internal/store/backend":   3,
	"internal/j1ql":            4,
	"internal/mapper":          4,
	"questions":                5,
	"internal/config":          5,
	"internal/integration":     6,
	"internal/alerts":          7,
	"internal/scheduler":       7,
	"internal/server":          8,
	"internal/cli":             9,
	"cmd/qgraph":               10,
}

func rankOf(pkg string) (int, string, bool) {
	best := ""
	for p := range rank {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) > len(best) {
			best = p
		}
	}
	if best == "" {
		return 0, "", false
	}
	return rank[best], best, true
}

func TestImportsGoDownwards(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "testdata", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		from, fromBase, known := rankOf(pkg)
		if !known {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			t.Errorf("parse %s: %v", path, err)
			return nil
		}
		for _, imp := range f.Imports {
			target, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(target, module) {
				continue
			}
			target = strings.TrimPrefix(target, module)
			if target == pkg || strings.HasPrefix(target, fromBase+"/") || target == fromBase {
				continue
			}
			to, _, ok := rankOf(target)
			if !ok {
				t.Errorf("%s imports %s, which has no place in the layering table", path, target)
				continue
			}
			if to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must go downwards", path, from, target, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
