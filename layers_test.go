package cwzap

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The package's files form layers, and data moves down them: a file refers
// only to what files of its own layer or of a layer below declare
// (docs/architecture.md has the table). The test type-checks the package
// and follows every identifier to the file that declares it.

// _layers are the layers, bottom first, and their files.
var _layers = []struct {
	name  string
	files []string
}{
	{"base", []string{"limits.go", "names.go", "route.go", "redact.go", "report.go", "lockrank.go"}},
	{"encoder", []string{"encoder.go", "encoder_wire.go", "escape.go", "numbers.go", "format.go", "emf.go", "sequence.go"}},
	{"put and leaves", []string{
		"statemachine.go", "batch.go", "batchlife.go", "wire.go", "emf_wire.go", "split.go", // the put
		"budget.go", "targets.go", "fallback.go", "spool.go", "spoolfs.go", "segments.go", "spool_lock_unix.go", "spool_lock_other.go", "reporter.go", // the leaves
	}},
	{"owners", []string{"accumulator.go", "dispatcher.go", "ledger.go"}},
	{"facade", []string{"syncer.go", "sync.go", "replay.go", "core.go", "options.go", "wire_options.go", "awsconfig.go", "sdklog.go",
		"presets.go", "spec.go", "sink.go", "probe.go", "syncerof.go", "doc.go"}},
}

func TestLayers(t *testing.T) {
	layerOf := map[string]int{}
	for i, l := range _layers {
		for _, f := range l.files {
			layerOf[f] = i
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		if _, ok := layerOf[name]; !ok {
			t.Errorf("%s is in no layer: add it to _layers and to docs/architecture.md", name)
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "cwzap" {
			files = append(files, f)
		}
	}
	// The imports need not be checked: only this package's identifiers
	// are followed, and those resolve without them.
	conf := types.Config{Importer: fakeImporter{}, Error: func(error) {}}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	pkg, _ := conf.Check("github.com/cwzap/cwzap", fset, files, info)

	seen := map[string]bool{}
	check := func(at token.Pos, obj types.Object) {
		if obj == nil || obj.Pkg() != pkg || !obj.Pos().IsValid() {
			return
		}
		if v, ok := obj.(*types.Var); ok && !v.IsField() && obj.Parent() != pkg.Scope() {
			return // a local
		}
		from := filepath.Base(fset.Position(at).Filename)
		to := filepath.Base(fset.Position(obj.Pos()).Filename)
		if layerOf[to] > layerOf[from] {
			key := from + " " + obj.Name()
			if !seen[key] {
				seen[key] = true
				t.Errorf("%s (%s) refers to %s of %s (%s), a layer above", from, _layers[layerOf[from]].name, obj.Name(), to, _layers[layerOf[to]].name)
			}
		}
	}
	for id, obj := range info.Uses {
		check(id.Pos(), obj)
	}
	for sel, s := range info.Selections {
		check(sel.Sel.Pos(), s.Obj())
	}
	if len(seen) == 0 && len(info.Uses) < 1000 {
		t.Fatalf("only %d identifiers resolved: the check saw too little to mean anything", len(info.Uses))
	}
}

// fakeImporter gives every import an empty package: what the package
// takes from them stays unresolved, and the checker goes on.
type fakeImporter struct{}

func (fakeImporter) Import(path string) (*types.Package, error) {
	p := types.NewPackage(path, filepath.Base(path))
	p.MarkComplete()
	return p, nil
}
