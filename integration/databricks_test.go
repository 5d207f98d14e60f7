package integration

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dbsql "github.com/databricks/databricks-sql-go"

	"github.com/filedge/filedge/pkg/record"
)

// fakeWorkspace is the fake Databricks workspace of the databricks
// destination's tests (pkg/destination/databricks/internal/fakewarehouse),
// run as a process on a loopback port, which the filedge binary reaches
// through the destination's endpoint setting.
type fakeWorkspace struct {
	url, token string
	db         *sql.DB // SQL onto the fake warehouse, through databricks-sql-go
}

const fakeHTTPPath = "/sql/1.0/warehouses/it"

// startFakeWorkspace builds and starts the fake workspace; it stops when
// the test ends.
func startFakeWorkspace(t *testing.T) *fakeWorkspace {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fakewarehouse")
	build := exec.Command("go", "build", "-o", bin, "../pkg/destination/databricks/internal/fakewarehouse/cmd/fakewarehouse")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the fake workspace: %v\n%s", err, out)
	}
	w := &fakeWorkspace{token: randomName("dapi")}
	cmd := exec.Command(bin, "-http-path", fakeHTTPPath)
	cmd.Env = append(os.Environ(), "FAKEWAREHOUSE_TOKEN="+w.token)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		first <- strings.TrimSpace(line)
	}()
	select {
	case line := <-first:
		u, ok := strings.CutPrefix(line, "listening ")
		if !ok {
			t.Fatalf("the fake workspace said %q, want listening URL", line)
		}
		w.url = u
	case <-time.After(time.Minute):
		t.Fatal("the fake workspace did not start within a minute")
	}
	parsed, err := url.Parse(w.url)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(parsed.Port())
	connector, err := dbsql.NewConnector(
		dbsql.WithServerHostname("http://"+parsed.Hostname()), dbsql.WithPort(port),
		dbsql.WithHTTPPath(fakeHTTPPath), dbsql.WithAccessToken(w.token),
		dbsql.WithSessionParams(map[string]string{"timezone": "UTC"}))
	if err != nil {
		t.Fatal(err)
	}
	w.db = sql.OpenDB(connector)
	t.Cleanup(func() { w.db.Close() })
	return w
}

// connector is the connector: block of a pipeline into schema of the
// fake workspace.
func (w *fakeWorkspace) connector(schema string) string {
	return fmt.Sprintf(`connector:
  type: databricks
  server_hostname: dbc-fake.cloud.databricks.com
  http_path: %s
  catalog: main
  schema: %s
  staging: /Volumes/main/%s/filedge_staging
  endpoint: %s
`, fakeHTTPPath, schema, schema, w.url)
}

// runOnce runs `filedge run --once` with the workspace's token in
// DATABRICKS_TOKEN, and checks that its output never shows the token.
func (w *fakeWorkspace) runOnce(t *testing.T, config string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--once", "-c", config)
	cmd.Env = append(os.Environ(), "FILEDGE_NATS_URL="+natsURL(t), "DATABRICKS_TOKEN="+w.token)
	out, err := cmd.CombinedOutput()
	if _, exit := err.(*exec.ExitError); err != nil && !exit {
		t.Fatalf("run --once: %v\n%s", err, out)
	}
	if strings.Contains(string(out), w.token) {
		t.Errorf("filedge printed the token:\n%s", out)
	}
	return string(out)
}

func (w *fakeWorkspace) count(t *testing.T, schema, table string) int64 {
	t.Helper()
	var n int64
	q := fmt.Sprintf("SELECT COUNT(*) FROM `main`.`%s`.`%s`", schema, strings.ReplaceAll(table, "`", "``"))
	if err := w.db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// columnType is the Databricks type of a column, with its filedge
// comment when it has one ("string filedge:json").
func (w *fakeWorkspace) columnType(t *testing.T, schema, table, column string) (string, error) {
	var typ string
	var comment *string
	err := w.db.QueryRowContext(t.Context(), `SELECT full_data_type, comment FROM main.information_schema.columns
		WHERE table_schema = :schema AND table_name = :table AND column_name = :column`,
		sql.Named("schema", schema), sql.Named("table", table), sql.Named("column", column)).Scan(&typ, &comment)
	if comment != nil && strings.HasPrefix(*comment, "filedge:") {
		typ += " " + *comment
	}
	return typ, err
}

// databricksType is the column type (see columnType) filedge gives a
// column of type typ in Databricks.
func databricksType(typ record.Type) string {
	switch {
	case typ.IsDecimal() && typ.Precision() <= 38:
		return fmt.Sprintf("decimal(%d,%d)", typ.Precision(), typ.Scale())
	case typ.IsDecimal():
		return "string filedge:" + typ.String()
	}
	return map[record.Type]string{
		record.Boolean: "boolean", record.Integer: "bigint", record.Float: "double", record.Date: "date",
		record.Timestamp: "timestamp", record.String: "string", record.JSON: "string filedge:json", record.Unknown: "string",
	}[typ]
}

// TestTheExamplePipelineLoadsIntoDatabricksThroughItsFake runs the example
// pipeline (examples/pipeline.yaml and its data) with a databricks
// connector onto the fake workspace, twice: every file's rows land in the
// orders table once, with the types preview gives them, and the second run
// loads nothing again.
func TestTheExamplePipelineLoadsIntoDatabricksThroughItsFake(t *testing.T) {
	w := startFakeWorkspace(t)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../examples/data", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy the example data: %v\n%s", err, out)
	}
	example, err := os.ReadFile("../examples/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(example)
	i := strings.Index(text, "connector:")
	if i < 0 {
		t.Fatal("examples/pipeline.yaml has no connector: block")
	}
	name := randomName("orders")
	text = strings.Replace(text[:i], "name: orders", "name: "+name, 1) + w.connector("example")
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(text))
	cleanBus(t, name)

	out := w.runOnce(t, config)
	var files []string
	if err := filepath.WalkDir(filepath.Join(dir, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var want int64
	columns := map[string]record.Type{}
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Join(dir, "data"), f)
		if !strings.Contains(out, rel) || !strings.Contains(out, "databricks") {
			t.Errorf("the summary does not name %s:\n%s", rel, out)
		}
		p := previewFile(t, f)
		for _, tb := range p.Tables {
			want += tb.Rows
			for _, c := range tb.Columns {
				columns[c.Name] = record.Widen(columns[c.Name], c.Type)
			}
		}
	}
	if n := w.count(t, "example", "orders"); n != want || want == 0 {
		t.Fatalf("orders holds %d rows, the example files have %d\n%s", n, want, out)
	}
	for c, typ := range columns {
		got, err := w.columnType(t, "example", "orders", c)
		if err != nil || got != databricksType(typ) {
			t.Errorf("orders.%s is %q (%v), want %q", c, got, err, databricksType(typ))
		}
	}
	w.runOnce(t, config)
	if n := w.count(t, "example", "orders"); n != want {
		t.Errorf("orders holds %d rows after a second run, want %d", n, want)
	}
}

// TestTheWholeCorpusLoadsIntoDatabricksThroughItsFake loads the corpus in
// magic folder mode into the fake workspace, as the PostgreSQL test does.
func TestTheWholeCorpusLoadsIntoDatabricksThroughItsFake(t *testing.T) {
	w := startFakeWorkspace(t)
	committed := loadCorpusWith(t, w.connector("corpus"), "databricks", w.runOnce)
	for f, p := range committed {
		for _, tb := range p.Tables {
			if n := w.count(t, "corpus", tb.Name); n != tb.Rows {
				t.Errorf("%s: table %s holds %d rows, preview says %d", f, tb.Name, n, tb.Rows)
			}
			for _, c := range tb.Columns {
				got, err := w.columnType(t, "corpus", tb.Name, c.Name)
				if err != nil {
					t.Errorf("%s: table %s column %s: %v", f, tb.Name, c.Name, err)
				} else if want := databricksType(c.Type); got != want {
					t.Errorf("%s: table %s column %s is %s, want %s (%v)", f, tb.Name, c.Name, got, want, c.Type)
				}
			}
		}
	}
}
