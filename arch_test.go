package filedge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePath is the module of this repository; imports outside it are not
// subject to the layout rules.
const modulePath = "github.com/filedge/filedge"

// contracts are the contract packages, each with one child package per
// implementation (and its conformance suite).
var contracts = []string{"pkg/format", "pkg/destination", "pkg/bus", "pkg/source"}

// listedPackage is the part of `go list -json` output the layout rules read.
type listedPackage struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// layoutRule is one dependency direction of ARCHITECTURE.md "Layout".
// Paths given to forbids are relative to the module ("pkg/format/csv").
type layoutRule struct {
	// says is the rule in words, quoted in the failure message.
	says string
	// forbids reports whether package from may not import package to.
	forbids func(from, to string) bool
	// bindsTests makes the rule hold for _test.go files too; otherwise
	// tests may cross it (they wire implementations together).
	bindsTests bool
}

// layoutRules are the dependency directions the repository keeps.
var layoutRules = []layoutRule{
	{
		says:       "nothing outside cmd imports cmd",
		forbids:    func(from, to string) bool { return within(to, "cmd") && !within(from, "cmd") },
		bindsTests: true,
	},
	{
		says:       "pkg never imports services (dependencies point cmd → services → pkg)",
		forbids:    func(from, to string) bool { return within(from, "pkg") && within(to, "services") },
		bindsTests: true,
	},
	{
		says: "services never import each other: they meet only on the bus",
		forbids: func(from, to string) bool {
			a, b := service(from), service(to)
			return a != "" && b != "" && a != b
		},
	},
	{
		says: "a contract package never imports its own implementations",
		forbids: func(from, to string) bool {
			return slices.Contains(contracts, from) && strictlyWithin(to, from)
		},
	},
	{
		says: "formats and destinations know pkg/record but not the bus",
		forbids: func(from, to string) bool {
			return (within(from, "pkg/format") || within(from, "pkg/destination")) && within(to, "pkg/bus")
		},
		bindsTests: true,
	},
	{
		says: "the bus knows the message types but no format or destination",
		forbids: func(from, to string) bool {
			return within(from, "pkg/bus") && (within(to, "pkg/format") || within(to, "pkg/destination"))
		},
		bindsTests: true,
	},
	{
		says: "pkg/config imports contracts, never implementations: each component decodes its own settings (ADR 0004)",
		forbids: func(from, to string) bool {
			return within(from, "pkg/config") && slices.ContainsFunc(contracts, func(c string) bool { return strictlyWithin(to, c) })
		},
		bindsTests: true,
	},
	{
		says: "only cmd/filedge and tests import the `all` bundles",
		forbids: func(from, to string) bool {
			return isBundle(to) && !within(from, "cmd/filedge") && !within(from, "integration")
		},
	},
	{
		says: "services reach formats and destinations only through their registries, never an implementation",
		forbids: func(from, to string) bool {
			return within(from, "services") && !isBundle(to) &&
				(strictlyWithin(to, "pkg/format") || strictlyWithin(to, "pkg/destination"))
		},
	},
	{
		says: "cmd and services reach a bus only through its contract and registry (ADR 0003), never an implementation",
		forbids: func(from, to string) bool {
			return (within(from, "cmd") || within(from, "services")) && strictlyWithin(to, "pkg/bus") && !isBundle(to)
		},
	},
}

// within reports whether rel is dir or lies below it.
func within(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

// strictlyWithin reports whether rel lies below dir.
func strictlyWithin(rel, dir string) bool {
	return strings.HasPrefix(rel, dir+"/")
}

// service names the stage rel belongs to ("sink" for services/sink/...),
// or "" when rel is not under services/.
func service(rel string) string {
	rest, ok := strings.CutPrefix(rel, "services/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// isBundle reports whether rel is an `all` package that blank-imports every
// implementation of a contract (pkg/format/all, pkg/destination/all, ...).
func isBundle(rel string) bool {
	return strings.HasPrefix(rel, "pkg/") && strings.HasSuffix(rel, "/all")
}

// relative returns importPath relative to the module, and false for imports
// from outside it.
func relative(importPath string) (string, bool) {
	if importPath == modulePath {
		return "", true
	}
	rel, ok := strings.CutPrefix(importPath, modulePath+"/")
	return rel, ok
}

// violation is one import that breaks a layout rule.
type violation struct {
	from, to string // import paths
	test     bool   // the import is in a _test.go file
	rule     string
	where    string // file:line of the import, when found
}

func (v violation) String() string {
	kind := "imports"
	if v.test {
		kind = "imports in a test"
	}
	where := ""
	if v.where != "" {
		where = " (" + v.where + ")"
	}
	return fmt.Sprintf("%s %s %s%s: %s", v.from, kind, v.to, where, v.rule)
}

// checkLayout returns every import of pkgs that breaks a rule, in a stable
// order.
func checkLayout(pkgs []listedPackage, rules []layoutRule) []violation {
	var found []violation
	for _, p := range pkgs {
		from, ok := relative(p.ImportPath)
		if !ok {
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				to, ok := relative(imp)
				if !ok || to == from {
					continue
				}
				for _, r := range rules {
					if (!test || r.bindsTests) && r.forbids(from, to) {
						found = append(found, violation{
							from: p.ImportPath, to: imp, test: test, rule: r.says,
							where: importSite(p, imp, test),
						})
					}
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
	}
	slices.SortStableFunc(found, func(a, b violation) int { return strings.Compare(a.String(), b.String()) })
	return found
}

// importSite names the file and line where p imports imp, or "" when no
// file can be read (synthetic packages in tests, files removed meanwhile).
func importSite(p listedPackage, imp string, test bool) string {
	files := slices.Concat(p.GoFiles, p.CgoFiles)
	if test {
		files = slices.Concat(p.TestGoFiles, p.XTestGoFiles)
	}
	for _, name := range files {
		path := filepath.Join(p.Dir, name)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, spec := range f.Imports {
			if got, err := strconv.Unquote(spec.Path.Value); err == nil && got == imp {
				pos := fset.Position(spec.Pos())
				return fmt.Sprintf("%s:%d", name, pos.Line)
			}
		}
	}
	return ""
}

// listModule runs `go list -e -json ./...` in the module root. Packages that
// do not compile yet are still listed with the imports their files name.
func listModule(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "list", "-e", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -e -json ./...: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestArchitectureRepositoryKeepsLayoutDirections lists every package of the
// module and fails on each import that breaks a layout rule, naming the
// importing package, the imported one, the file and line, and the rule.
func TestArchitectureRepositoryKeepsLayoutDirections(t *testing.T) {
	pkgs := listModule(t)
	if !slices.ContainsFunc(pkgs, func(p listedPackage) bool { return p.ImportPath == modulePath }) {
		t.Fatalf("go list ./... did not list the root package %s: is the test running in the module root?", modulePath)
	}
	for _, v := range checkLayout(pkgs, layoutRules) {
		t.Error(v)
	}
}

// TestArchitectureRulesCatchForbiddenImports proves each rule on a made-up
// import graph: the forbidden import is reported, the allowed ones are not.
func TestArchitectureRulesCatchForbiddenImports(t *testing.T) {
	m := func(rel string) string { return modulePath + "/" + rel }
	tests := []struct {
		name     string
		pkg      listedPackage
		wantRule string // "" when the imports are allowed
	}{
		{
			name: "cmd wires services, bundles and implementations",
			pkg: listedPackage{ImportPath: m("cmd/filedge"), Imports: []string{
				m("services/sink"), m("pkg/format/all"), m("pkg/destination/all"), m("pkg/bus/all"), m("pkg/destination/postgres"), "fmt",
			}},
		},
		{
			name:     "pkg importing a service",
			pkg:      listedPackage{ImportPath: m("pkg/record"), Imports: []string{m("services/parser")}},
			wantRule: "pkg never imports services",
		},
		{
			name:     "pkg test importing a service",
			pkg:      listedPackage{ImportPath: m("pkg/config"), XTestImports: []string{m("services/watcher")}},
			wantRule: "pkg never imports services",
		},
		{
			name:     "service importing cmd",
			pkg:      listedPackage{ImportPath: m("services/sink"), Imports: []string{m("cmd/filedge")}},
			wantRule: "nothing outside cmd imports cmd",
		},
		{
			name:     "service importing another service",
			pkg:      listedPackage{ImportPath: m("services/sink"), Imports: []string{m("services/parser/internal/batch")}},
			wantRule: "services never import each other",
		},
		{
			name: "service importing its own subpackage and contracts",
			pkg: listedPackage{ImportPath: m("services/sink"), Imports: []string{
				m("services/sink/ledger"), m("pkg/destination"), m("pkg/bus"), m("pkg/record"),
			}},
		},
		{
			name:     "format contract importing a format",
			pkg:      listedPackage{ImportPath: m("pkg/format"), Imports: []string{m("pkg/format/csv")}},
			wantRule: "a contract package never imports its own implementations",
		},
		{
			name:     "source contract importing its local store",
			pkg:      listedPackage{ImportPath: m("pkg/source"), Imports: []string{m("pkg/source/local")}},
			wantRule: "a contract package never imports its own implementations",
		},
		{
			name: "contract tests exercising an implementation",
			pkg:  listedPackage{ImportPath: m("pkg/format"), XTestImports: []string{m("pkg/format/csv")}},
		},
		{
			name:     "format importing the bus",
			pkg:      listedPackage{ImportPath: m("pkg/format/csv"), Imports: []string{m("pkg/bus")}},
			wantRule: "formats and destinations know pkg/record but not the bus",
		},
		{
			name:     "destination importing a bus implementation",
			pkg:      listedPackage{ImportPath: m("pkg/destination/postgres"), Imports: []string{m("pkg/bus/natsbus")}},
			wantRule: "formats and destinations know pkg/record but not the bus",
		},
		{
			name: "destination using record and its conformance suite",
			pkg: listedPackage{ImportPath: m("pkg/destination/postgres"),
				Imports:      []string{m("pkg/destination"), m("pkg/record"), m("pkg/config")},
				XTestImports: []string{m("pkg/destination/destinationtest")}},
		},
		{
			name:     "bus importing a destination",
			pkg:      listedPackage{ImportPath: m("pkg/bus/natsbus"), Imports: []string{m("pkg/destination")}},
			wantRule: "the bus knows the message types but no format or destination",
		},
		{
			name:     "bus importing a format",
			pkg:      listedPackage{ImportPath: m("pkg/bus"), Imports: []string{m("pkg/format/csv")}},
			wantRule: "the bus knows the message types but no format or destination",
		},
		{
			name: "config importing the contracts and settings",
			pkg: listedPackage{ImportPath: m("pkg/config"), Imports: []string{
				m("pkg/destination"), m("pkg/source"), m("pkg/format"), m("pkg/settings"), m("pkg/record"),
			}},
		},
		{
			name:     "config importing a destination",
			pkg:      listedPackage{ImportPath: m("pkg/config"), Imports: []string{m("pkg/destination/sqlite")}},
			wantRule: "pkg/config imports contracts, never implementations",
		},
		{
			name:     "config test importing a source",
			pkg:      listedPackage{ImportPath: m("pkg/config"), XTestImports: []string{m("pkg/source/local")}},
			wantRule: "pkg/config imports contracts, never implementations",
		},
		{
			name:     "service importing a bundle",
			pkg:      listedPackage{ImportPath: m("services/parser"), Imports: []string{m("pkg/format/all")}},
			wantRule: "only cmd/filedge and tests import the `all` bundles",
		},
		{
			name: "service test importing a bundle",
			pkg:  listedPackage{ImportPath: m("services/parser"), XTestImports: []string{m("pkg/format/all")}},
		},
		{
			name:     "service importing a format implementation",
			pkg:      listedPackage{ImportPath: m("services/parser"), Imports: []string{m("pkg/format/csv")}},
			wantRule: "services reach formats and destinations only through their registries",
		},
		{
			name:     "command importing a bus implementation",
			pkg:      listedPackage{ImportPath: m("cmd/filedge"), Imports: []string{m("pkg/bus/natsbus")}},
			wantRule: "cmd and services reach a bus only through its contract and registry",
		},
		{
			name: "command importing the bus contract and bundle",
			pkg:  listedPackage{ImportPath: m("cmd/filedge"), Imports: []string{m("pkg/bus"), m("pkg/bus/all")}},
		},
		{
			name: "service test using the in-memory bus and the suite's helpers",
			pkg: listedPackage{ImportPath: m("services/sink"), Imports: []string{m("pkg/bus")},
				TestImports: []string{m("pkg/bus/membus"), m("pkg/bus/bustest")}},
		},
		{
			name: "integration program importing the bundles",
			pkg:  listedPackage{ImportPath: m("integration/bench"), Imports: []string{m("pkg/destination/all")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkLayout([]listedPackage{tt.pkg}, layoutRules)
			if tt.wantRule == "" {
				if len(got) != 0 {
					t.Fatalf("allowed imports reported: %v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d violations %v, want one of %q", len(got), got, tt.wantRule)
			}
			if !strings.HasPrefix(got[0].rule, tt.wantRule) {
				t.Errorf("rule = %q, want %q", got[0].rule, tt.wantRule)
			}
			if msg := got[0].String(); !strings.Contains(msg, tt.pkg.ImportPath) {
				t.Errorf("message %q does not name the importing package", msg)
			}
		})
	}
}

// TestArchitectureViolationNamesFileAndLine proves that a reported import
// points at the file and line that holds it.
func TestArchitectureViolationNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	src := "package parser\n\nimport (\n\t\"fmt\"\n\t_ \"" + modulePath + "/pkg/format/all\"\n)\n\nvar _ = fmt.Sprint\n"
	if err := os.WriteFile(filepath.Join(dir, "parser.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	pkg := listedPackage{
		ImportPath: modulePath + "/services/parser", Dir: dir, GoFiles: []string{"parser.go"},
		Imports: []string{"fmt", modulePath + "/pkg/format/all"},
	}
	got := checkLayout([]listedPackage{pkg}, layoutRules)
	if len(got) != 1 {
		t.Fatalf("got %d violations %v, want 1", len(got), got)
	}
	if want := "parser.go:5"; got[0].where != want {
		t.Errorf("where = %q, want %q (message: %s)", got[0].where, want, got[0])
	}
}
