package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest/sqlreader"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

// testURL is the PostgreSQL the tests use: FILEDGE_POSTGRES_URL, or the
// machine's local server.
func testURL() string {
	if u := os.Getenv("FILEDGE_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// newSchema returns the name of a fresh schema, dropped when t ends. The
// destination creates it.
func newSchema(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "filedge_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openDB opens a destination over schema, closed when t ends.
func openDB(t testing.TB, schema string) *DB {
	t.Helper()
	return openURL(t, testURL(), schema)
}

func openURL(t testing.TB, url, schema string) *DB {
	t.Helper()
	db, err := New(context.Background(), Config{URL: settings.Secret(url), Schema: schema}, destination.Env{Name: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqlDB opens a database/sql handle whose search_path is schema, closed
// when t ends.
func sqlDB(t testing.TB, schema string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(testURL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}

// open returns a destination over a fresh schema and a *sql.DB onto it.
func open(t testing.TB) (*DB, *sql.DB, string) {
	t.Helper()
	schema := newSchema(t)
	db := openDB(t, schema)
	return db, sqlDB(t, schema), schema
}

// tableData is the data of one table of a test file: column specs and
// batches of rows (Go values as in rec).
type tableData struct {
	name    string
	cols    []record.Column
	batches [][][]any
}

// testBatches is an in-memory destination.Batches over record batches built
// with a checked allocator: t fails if a batch is not released.
type testBatches struct {
	mem    *memory.CheckedAllocator
	tables []tableData

	mu       sync.Mutex
	ti, bi   int
	line     int64
	returned int
	failAt   int // return failErr once this many batches have been returned (0: never)
	failErr  error
	onNext   func(n int) // called before each batch is returned, with its number (1-based)
	file     *destination.File
	sha      string
	calls    int
}

func batches(t testing.TB, tables ...tableData) *testBatches {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &testBatches{mem: mem, tables: tables}
}

func (b *testBatches) Next(ctx context.Context) (string, arrow.RecordBatch, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	if b.failAt > 0 && b.returned >= b.failAt {
		return "", nil, b.failErr
	}
	for b.ti < len(b.tables) && b.bi >= len(b.tables[b.ti].batches) {
		b.ti, b.bi = b.ti+1, 0
		if b.ti < len(b.tables) && b.tables[b.ti].name != b.tables[b.ti-1].name {
			b.line = 0 // lines number the rows of one table
		}
	}
	if b.ti >= len(b.tables) {
		return "", nil, io.EOF
	}
	td := b.tables[b.ti]
	rows := td.batches[b.bi]
	b.bi++
	r, err := rec(b.mem, td.cols, rows, b.line+1)
	if err != nil {
		return "", nil, err
	}
	b.line += int64(len(rows))
	b.returned++
	if b.onNext != nil {
		b.onNext(b.returned)
	}
	if b.file != nil && b.file.SHA256 == "" {
		b.file.SHA256 = b.sha
	}
	return td.name, r, nil
}

// rec builds a record batch of cols (plus _line, numbered from first) from
// Go values: bool, int64/int, float64, time.Time (Date and Timestamp),
// string (String, JSON and decimals), nil for NULL.
func rec(mem memory.Allocator, cols []record.Column, rows [][]any, first int64) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, 0, len(cols)+1)
	for _, c := range cols {
		fields = append(fields, record.Field(c.Name, c.Type))
	}
	fields = append(fields, record.Field(record.LineColumn, record.Integer))
	rb := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer rb.Release()
	for r, row := range rows {
		for c, v := range row {
			b := rb.Field(c)
			if v == nil {
				b.AppendNull()
				continue
			}
			switch x := v.(type) {
			case bool:
				b.(*array.BooleanBuilder).Append(x)
			case int:
				b.(*array.Int64Builder).Append(int64(x))
			case int64:
				b.(*array.Int64Builder).Append(x)
			case float64:
				b.(*array.Float64Builder).Append(x)
			case string:
				if sb, ok := b.(*array.StringBuilder); ok {
					sb.Append(x)
				} else if err := record.AppendDecimalValue(b, x); err != nil {
					return nil, fmt.Errorf("row %d column %d: %w", r, c, err)
				}
			case time.Time:
				switch bb := b.(type) {
				case *array.Date32Builder:
					bb.Append(arrow.Date32FromTime(x))
				case *array.TimestampBuilder:
					bb.Append(arrow.Timestamp(x.UnixMicro()))
				default:
					return nil, fmt.Errorf("row %d column %d: time for %T", r, c, b)
				}
			default:
				return nil, fmt.Errorf("row %d column %d: unsupported %T", r, c, v)
			}
		}
		rb.Field(len(cols)).(*array.Int64Builder).Append(first + int64(r))
	}
	return rb.NewRecordBatch(), nil
}

// file returns a file version of path with the given tables.
func file(t testing.TB, version, path string, modified time.Time, tables ...tableData) (*destination.File, *testBatches) {
	b := batches(t, tables...)
	return &destination.File{
		Pipeline:  "p",
		Version:   version,
		Path:      path,
		Size:      100,
		Modified:  modified,
		SHA256:    "sha-" + version,
		WriteMode: destination.Append,
		Merge:     destination.UpsertFile,
		Batches:   b,
	}, b
}

func commitOK(t testing.TB, db *DB, f *destination.File, want destination.Outcome) *destination.Result {
	t.Helper()
	res, err := db.Commit(context.Background(), f)
	if err != nil {
		t.Fatalf("Commit %s: %v", f.Version, err)
	}
	if res.Outcome != want {
		t.Fatalf("Commit %s: outcome %s, want %s", f.Version, res.Outcome, want)
	}
	return res
}

// query returns the rows of a query as Go values scanned by pgx.
var query = sqlreader.MustQuery
