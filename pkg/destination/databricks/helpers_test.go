package databricks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/databricks/internal/fakewarehouse"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/settings"
)

const (
	testToken    = "dapi-test-0123456789abcdef"
	testHTTPPath = "/sql/1.0/warehouses/fake"
)

// workspace is a fake Databricks workspace for one test.
type workspace struct {
	fake *fakewarehouse.Server
	url  string
	cfg  Config
}

// newWorkspace starts a fake workspace, closed when the test ends, and the
// settings of a destination onto it.
func newWorkspace(t testing.TB) *workspace {
	t.Helper()
	fake, err := fakewarehouse.New(testToken, testHTTPPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(func() {
		srv.Close()
		fake.Close()
	})
	return &workspace{fake: fake, url: srv.URL, cfg: Config{
		ServerHostname: "dbc-fake.cloud.databricks.com",
		HTTPPath:       testHTTPPath,
		Catalog:        "main",
		Schema:         "conformance",
		Staging:        "/Volumes/main/conformance/staging",
		Token:          settings.Secret(testToken),
		Endpoint:       srv.URL,
	}}
}

// open opens a destination onto the workspace, closed when the test ends.
func (w *workspace) open(t testing.TB, log *slog.Logger) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d, err := New(ctx, w.cfg, destination.Env{Name: "lake", Logger: log})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	d.retry = backoff{Attempts: 12, Min: time.Millisecond, Max: 20 * time.Millisecond}
	t.Cleanup(func() { d.Close() })
	return d
}

// reader reads what a destination committed through its SQL sessions.
type reader struct{ d *DB }

var _ destinationtest.Reader = reader{}

func (r reader) Tables(ctx context.Context) ([]string, error) {
	var out []string
	err := r.d.query(ctx, `SELECT table_name FROM `+r.d.catalog+`.information_schema.tables WHERE lower(table_schema) = lower(:schema)`,
		named("schema", r.d.cfg.Schema), func() { out = nil }, func(scan func(...any) error) error {
			var name string
			if err := scan(&name); err != nil {
				return err
			}
			if name != destination.LedgerTable && name != destination.TablesTable && name != PathsTable && !strings.HasPrefix(name, stagePrefix) {
				out = append(out, name)
			}
			return nil
		})
	return out, err
}

func (r reader) Columns(ctx context.Context, table string) ([]destinationtest.Column, error) {
	cols, err := r.d.columns(ctx, table)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %q: %w", table, destinationtest.ErrNoTable)
	}
	out := make([]destinationtest.Column, len(cols))
	for i, c := range cols {
		out[i] = destinationtest.Column{Name: c.name, Type: c.typ}
	}
	return out, nil
}

func (r reader) Rows(ctx context.Context, table string) ([]map[string]any, error) {
	cols, err := r.Columns(ctx, table)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	err = r.d.query(ctx, `SELECT * FROM `+r.d.table(table), nil, func() { out = nil }, func(scan func(...any) error) error {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := scan(ptrs...); err != nil {
			return err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			v, err := destinationtest.Normalize(vals[i], c.Type)
			if err != nil {
				return fmt.Errorf("column %q: %w", c.Name, err)
			}
			row[c.Name] = v
		}
		out = append(out, row)
		return nil
	})
	return out, err
}

func (r reader) Ledger(ctx context.Context, pipeline string) ([]destinationtest.LedgerRow, error) {
	var out []destinationtest.LedgerRow
	err := r.d.query(ctx, "SELECT pipeline, version, path, size, modified, seq, sha256, `tables`, `rows`, committed FROM "+
		r.d.table(destination.LedgerTable)+` WHERE pipeline = :pipeline`, named("pipeline", pipeline), func() { out = nil },
		func(scan func(...any) error) error {
			var (
				row      destinationtest.LedgerRow
				modified *time.Time
				seq      *int64
				sha      *string
				tables   string
			)
			if err := scan(&row.Pipeline, &row.Version, &row.Path, &row.Size, &modified, &seq, &sha, &tables, &row.Rows, &row.Committed); err != nil {
				return err
			}
			if modified != nil {
				row.Modified = *modified
			}
			if seq != nil {
				if *seq <= 0 {
					return fmt.Errorf("version %s: seq %d stored", row.Version, *seq)
				}
				row.Seq = *seq
			}
			if sha != nil {
				row.SHA256 = *sha
			}
			if err := json.Unmarshal([]byte(tables), &row.Tables); err != nil {
				return err
			}
			out = append(out, row)
			return nil
		})
	return out, err
}
