package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

var (
	t2024 = time.Date(2024, 3, 1, 12, 30, 45, 123456000, time.UTC)
	day   = time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
)

func TestCommitRoundTripsEveryTypeExactly(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{
		{Name: "i", Type: record.Integer}, {Name: "f", Type: record.Float}, {Name: "b", Type: record.Boolean},
		{Name: "d", Type: record.Date}, {Name: "ts", Type: record.Timestamp}, {Name: "s", Type: record.String},
		{Name: "j", Type: record.JSON}, {Name: "u", Type: record.Unknown},
	}
	rows := [][]any{
		{int64(math.MaxInt64), math.MaxFloat64, true, day, t2024, "héllo, 世界 🎉", `{"a": [1, 2.5, null, "x"]}`, nil},
		{int64(math.MinInt64), -0.1, false, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), "", `"just a string"`, nil},
		{int64(300), math.Inf(1), nil, time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC), time.Unix(0, 0).UTC(), "tab\tnew\nline 'quote' \"dq\" \\", `[]`, nil},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	modified := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	f, _ := file(t, "v1", "dir/a.csv", modified, tableData{name: "typed", cols: cols, batches: [][][]any{rows}})
	res := commitOK(t, db, f, destination.Committed)
	if res.Rows != 4 || len(res.Tables) != 1 || res.Tables[0] != "typed" {
		t.Fatalf("result %+v, want 4 rows in [typed]", res)
	}

	var types []string
	for _, r := range query(t, sq, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum`) {
		types = append(types, r[0].(string))
	}
	wantTypes := "bigint,double precision,boolean,date,timestamp with time zone,text,jsonb,text,text,bigint,timestamp with time zone,timestamp with time zone,text"
	if got := strings.Join(types, ","); got != wantTypes {
		t.Errorf("column types\n got %s\nwant %s", got, wantTypes)
	}

	got := query(t, sq, `SELECT i, f, b, d::text, ts, s, j::text, u, _file, _line, _modified, _filedge_synced, _source_file_hash FROM typed ORDER BY _line`)
	want := [][]any{
		{int64(math.MaxInt64), math.MaxFloat64, true, "2024-02-29", t2024, "héllo, 世界 🎉", `{"a": [1, 2.5, null, "x"]}`, nil},
		{int64(math.MinInt64), -0.1, false, "0001-01-01", time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), "", `"just a string"`, nil},
		{int64(300), math.Inf(1), nil, "1969-07-20", time.Unix(0, 0).UTC(), "tab\tnew\nline 'quote' \"dq\" \\", `[]`, nil},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for r := range want {
		for c := range want[r] {
			g, w := got[r][c], want[r][c]
			if gt, ok := g.(time.Time); ok {
				if wt, ok := w.(time.Time); !ok || !gt.Equal(wt) {
					t.Errorf("row %d col %d: got %v, want %v", r, c, g, w)
				}
				continue
			}
			if g != w {
				t.Errorf("row %d col %d: got %#v, want %#v", r, c, g, w)
			}
		}
		sys := got[r][len(want[r]):]
		if sys[0] != "dir/a.csv" || sys[1] != int64(r+1) || !sys[2].(time.Time).Equal(modified.Truncate(time.Microsecond)) ||
			!sys[3].(time.Time).Equal(res.Committed) || sys[4] != "sha-v1" {
			t.Errorf("row %d system columns %v, want dir/a.csv, line %d, %v, %v, sha-v1", r, sys, r+1, modified, res.Committed)
		}
	}

	// Lookup reports what the ledger holds.
	lr, found, err := db.Lookup(t.Context(), "p", "v1")
	if err != nil || !found || lr.Rows != 4 || len(lr.Tables) != 1 || lr.Tables[0] != "typed" || !lr.Committed.Equal(res.Committed) {
		t.Errorf("Lookup = %+v, %v, %v; want 4 rows in [typed] committed %v", lr, found, err, res.Committed)
	}
	if _, found, err := db.Lookup(t.Context(), "p", "nope"); found || err != nil {
		t.Errorf("Lookup of a missing version = %v, %v; want false, nil", found, err)
	}
}

func TestCommitStreamsATablesBatchesThroughOneCopy(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{{Name: "n", Type: record.Integer}, {Name: "s", Type: record.String}}
	other := []record.Column{{Name: "s", Type: record.String}, {Name: "n", Type: record.Integer}} // same columns, another order
	var big [][][]any
	for b := range 50 {
		rows := make([][]any, 1000)
		for r := range rows {
			rows[r] = []any{int64(b*1000 + r), fmt.Sprint(b*1000 + r)}
		}
		if b == 0 {
			rows = nil // an empty batch first does not end the COPY either
		}
		big = append(big, rows)
	}
	f, src := file(t, "v1", "big.csv", t2024,
		tableData{name: "big", cols: cols, batches: big[:25]},
	)
	// Half the batches with the columns in another order.
	for _, rows := range big[25:] {
		swapped := make([][]any, len(rows))
		for i, r := range rows {
			swapped[i] = []any{r[1], r[0]}
		}
		src.tables = append(src.tables, tableData{name: "big", cols: other, batches: [][][]any{swapped}})
	}
	src.tables = append(src.tables, tableData{name: "small", cols: cols, batches: [][][]any{{{int64(1), "x"}}, {{int64(2), "y"}}}})

	res := commitOK(t, db, f, destination.Committed)
	if res.Rows != 49_002 {
		t.Errorf("Rows = %d, want 49002", res.Rows)
	}
	if got := db.copies.Load(); got != 2 {
		t.Errorf("%d COPY statements, want 2 (one per table)", got)
	}
	r := query(t, sq, `SELECT count(*), sum(n), count(DISTINCT _line), bool_and(s = n::text) FROM big`)
	if fmt.Sprint(r[0]) != "[49000 1249475500 49000 true]" { // n = 1000..49999, one line each
		t.Errorf("big: count, sum(n), distinct lines, every s = n: %v, want [49000 1249475500 49000 true]", r[0])
	}
}

func TestCommitStartsANewCopyWhenABatchNeedsDDL(t *testing.T) {
	db, sq, _ := open(t)
	f, _ := file(t, "v1", "a.csv", t2024,
		tableData{name: "w", cols: []record.Column{{Name: "x", Type: record.Integer}}, batches: [][][]any{{{int64(1)}}, {{int64(2)}}}},
		tableData{name: "w", cols: []record.Column{{Name: "x", Type: record.Float}, {Name: "y", Type: record.Date}}, batches: [][][]any{{{2.5, day}}}},
		tableData{name: "w", cols: []record.Column{{Name: "y", Type: record.Date}}, batches: [][][]any{{{day}}}},
	)
	res := commitOK(t, db, f, destination.Committed)
	if res.Rows != 4 || db.copies.Load() != 3 {
		t.Errorf("rows %d in %d COPY statements, want 4 in 3", res.Rows, db.copies.Load())
	}
	got := query(t, sq, `SELECT x, y::text FROM w ORDER BY _line, x`)
	want := [][]any{{1.0, nil}, {2.0, nil}, {2.5, "2024-02-29"}, {nil, "2024-02-29"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	// The ALTER inside the commit that created the table is reported too.
	if fmt.Sprint(res.Widened) != "[w.x: integer → float]" {
		t.Errorf("Widened = %q, want [w.x: integer → float]", res.Widened)
	}
}

func TestCommitWidensExistingColumnsWithUsingCasts(t *testing.T) {
	schema := newSchema(t)
	// A session time zone far from UTC must not shift dates turned into
	// timestamps or timestamps turned into text.
	db := openURL(t, testURL()+"&timezone=America/Los_Angeles", schema)
	sq := sqlDB(t, schema)
	cols1 := []record.Column{
		{Name: "i2f", Type: record.Integer}, {Name: "i2s", Type: record.Integer}, {Name: "d2t", Type: record.Date},
		{Name: "t2s", Type: record.Timestamp}, {Name: "f2s", Type: record.Float}, {Name: "d2s", Type: record.Date},
		{Name: "b2s", Type: record.Boolean}, {Name: "same", Type: record.Integer},
	}
	f1, _ := file(t, "v1", "a.csv", t2024, tableData{name: "w", cols: cols1, batches: [][][]any{{
		{int64(7), int64(42), day, t2024, 1.5, day, true, int64(1)},
		{int64(-3), int64(-9), day, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), 1e21, day, false, int64(2)},
	}}})
	commitOK(t, db, f1, destination.Committed)

	cols2 := []record.Column{
		{Name: "i2f", Type: record.Float}, {Name: "i2s", Type: record.String}, {Name: "d2t", Type: record.Timestamp},
		{Name: "t2s", Type: record.String}, {Name: "f2s", Type: record.String}, {Name: "d2s", Type: record.String},
		{Name: "b2s", Type: record.String}, {Name: "same", Type: record.Integer},
	}
	f2, _ := file(t, "v2", "b.csv", t2024, tableData{name: "w", cols: cols2, batches: [][][]any{{
		{0.25, "text", t2024, "t", "f", "d", "b", int64(3)},
	}}})
	res := commitOK(t, db, f2, destination.Committed)
	wantWidened := []string{
		"w.i2f: integer → float", "w.i2s: integer → string", "w.d2t: date → timestamp", "w.t2s: timestamp → string",
		"w.f2s: float → string", "w.d2s: date → string", "w.b2s: boolean → string",
	}
	if fmt.Sprint(res.Widened) != fmt.Sprint(wantWidened) {
		t.Errorf("Widened\n got %q\nwant %q", res.Widened, wantWidened)
	}
	got := query(t, sq, `SELECT i2f, i2s, d2t, t2s, f2s, d2s, b2s, same FROM w ORDER BY _file, _line`)
	want := [][]any{
		{7.0, "42", day, "2024-03-01T12:30:45.123456Z", "1.5", "2024-02-29", "true", int64(1)},
		{-3.0, "-9", day, "2024-01-02T03:04:05Z", "1e+21", "2024-02-29", "false", int64(2)},
		{0.25, "text", t2024, "t", "f", "d", "b", int64(3)},
	}
	for r := range want {
		for c := range want[r] {
			g, w := got[r][c], want[r][c]
			if gt, ok := g.(time.Time); ok {
				if !gt.Equal(w.(time.Time)) {
					t.Errorf("row %d col %d: got %v, want %v", r, c, gt.UTC(), w)
				}
			} else if g != w {
				t.Errorf("row %d col %d: got %#v, want %#v", r, c, g, w)
			}
		}
	}

	// A narrower batch into the widened table converts on the way in, like
	// the casts did for the old rows.
	f3, _ := file(t, "v3", "c.csv", t2024, tableData{name: "w", cols: cols1, batches: [][][]any{{
		{int64(8), int64(43), day, t2024, 2.5, day, true, int64(4)},
	}}})
	res = commitOK(t, db, f3, destination.Committed)
	if len(res.Widened) != 0 {
		t.Errorf("Widened %v, want none", res.Widened)
	}
	got = query(t, sq, `SELECT i2f, i2s, d2t, t2s, f2s, d2s, b2s FROM w WHERE _file = 'c.csv'`)
	want = [][]any{{8.0, "43", day, "2024-03-01T12:30:45.123456Z", "2.5", "2024-02-29", "true"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("narrow batch into wide columns: got %v, want %v", got, want)
	}
}

func TestConcurrentCommitsOfOneVersionCommitOnce(t *testing.T) {
	db, sq, schema := open(t)
	other := openDB(t, schema)
	for round := range 3 {
		version := fmt.Sprintf("v%d", round)
		var wg sync.WaitGroup
		results := make([]*destination.Result, 4)
		errs := make([]error, 4)
		for i := range 4 {
			d := db
			if i%2 == 1 {
				d = other
			}
			f, _ := file(t, version, "same.csv", t2024.Add(time.Duration(round)*time.Hour),
				tableData{name: "c", cols: []record.Column{{Name: "n", Type: record.Integer}},
					batches: [][][]any{{{int64(1)}, {int64(2)}}, {{int64(3)}}}})
			wg.Go(func() { results[i], errs[i] = d.Commit(t.Context(), f) })
		}
		wg.Wait()
		committed := 0
		for i := range 4 {
			if errs[i] != nil {
				t.Fatalf("round %d commit %d: %v", round, i, errs[i])
			}
			switch results[i].Outcome {
			case destination.Committed:
				committed++
			case destination.Duplicate:
			default:
				t.Errorf("round %d commit %d: outcome %s", round, i, results[i].Outcome)
			}
		}
		if committed != 1 {
			t.Errorf("round %d: %d commits committed, want 1", round, committed)
		}
		if n := query(t, sq, `SELECT count(*) FROM c`)[0][0]; n != int64(3) {
			t.Errorf("round %d: %v rows, want 3", round, n)
		}
	}
}

func TestConcurrentVersionsOfOnePathNewestWins(t *testing.T) {
	db, sq, schema := open(t)
	other := openDB(t, schema)
	for round := range 4 {
		base := t2024.Add(time.Duration(round) * time.Hour)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range 3 {
			d := db
			if (i+round)%2 == 1 {
				d = other
			}
			version := fmt.Sprintf("r%d-%d", round, i)
			f, _ := file(t, version, "p.csv", base.Add(time.Duration(i)*time.Minute),
				tableData{name: "n", cols: []record.Column{{Name: "version", Type: record.String}},
					batches: [][][]any{{{version}, {version}}}})
			wg.Go(func() {
				if (i+round)%3 == 0 {
					time.Sleep(5 * time.Millisecond)
				}
				_, errs[i] = d.Commit(t.Context(), f)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d commit %d: %v", round, i, err)
			}
		}
		got := query(t, sq, `SELECT DISTINCT version, count(*) OVER () FROM n`)
		want := fmt.Sprintf("r%d-2", round)
		if len(got) != 1 || got[0][0] != want || got[0][1] != int64(2) {
			t.Errorf("round %d: rows %v, want only the 2 rows of %s", round, got, want)
		}
	}
}

func TestCommitCleansTextPostgreSQLWouldReject(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{{Name: "s", Type: record.String}, {Name: "j", Type: record.JSON}}
	f, _ := file(t, "v1", "bad\x00name\xff.csv", t2024, tableData{name: "dirty", cols: cols, batches: [][][]any{{
		{"nul\x00inside", `{"k": "a\u0000b", "esc": "\\u0000 stays"}`},
		{"bad \xff\xfe utf8", "[\"\xff\"]"},
		{"fine", `"x\u0000"`},
	}}})
	commitOK(t, db, f, destination.Committed)
	got := query(t, sq, `SELECT s, j::text, _file FROM dirty ORDER BY _line`)
	want := [][]any{
		{"nul\uFFFDinside", `{"k": "a�b", "esc": "\\u0000 stays"}`, "bad\uFFFDname\uFFFD.csv"},
		{"bad \uFFFD\uFFFD utf8", "[\"\uFFFD\"]", "bad\uFFFDname\uFFFD.csv"},
		{"fine", `"x�"`, "bad\uFFFDname\uFFFD.csv"},
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestCleanJSONReplacesOnlyWhatJSONBRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"a"`, `"a"`},
		{`"a\u0000b"`, `"a\ufffdb"`},
		{`"\\u0000"`, `"\\u0000"`},
		{`"\\\u0000"`, `"\\\ufffd"`},
		{`"\u00001"`, `"\ufffd1"`},
		{`"\u0001"`, `"\u0001"`},
		{`"\ud800"`, `"\ufffd"`},
		{`"\ud83d\ude00"`, `"\ud83d\ude00"`},
		{"\"\x00\"", "\"\uFFFD\""},
		{`"\`, `"\`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := cleanJSON(tc.in); got != tc.want {
				t.Errorf("cleanJSON(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNewNeverShowsTheURLOrPassword(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	for _, tc := range []struct {
		name, url string
		pieces    []string // besides pw
	}{
		{"bad escape", "postgres://u:" + pw + "%zz@127.0.0.1/test", nil},
		{"bad port", "postgres://u:" + pw + "@127.0.0.1:99999x/test", nil},
		{"control character", "postgres://u:" + pw + "@127.0.0.1/te\x7fst", nil},
		{"bad parameter value", "postgres://u:" + pw + "@127.0.0.1/test?sslmode=sometimes", nil},
		{"bad connect_timeout", "postgresql://u:" + pw + "@127.0.0.1/test?connect_timeout=soon", nil},
		{"wrong scheme", "mysql://u:" + pw + "@127.0.0.1/test", nil},
		{"unreachable", "postgres://u:" + pw + "@127.0.0.1:1/test?connect_timeout=2", nil},
		{"wrong password", "postgres://nosuchuser:" + pw + "@127.0.0.1:5432/test?sslmode=disable", nil},
		// net/url reads host loader, port 2024 and database pw@...: pgx
		// then printed database=s3cr3t-Pa55@127.0.0.1:1/test.
		{"digits before a slash in the password", "postgresql://loader:2024/" + pw + "@127.0.0.1:1/test?connect_timeout=2", []string{"2024"}},
		// An out-of-range "port" made the target quote the password.
		{"long digits before a slash", "postgresql://postgres:987654321/" + pw + "@127.0.0.1:1/test", []string{"987654321"}},
		{"question mark in the password", "postgres://u:ab?" + pw + "@127.0.0.1:1/test", nil},
		{"at sign in the password", "postgres://u:" + pw + "@x@127.0.0.1:1/test?connect_timeout=2", nil},
		{"hash in the password", "postgres://u:" + pw + "#x@127.0.0.1:1/test", nil},
		{"query password", "postgres://u@127.0.0.1:1/test?connect_timeout=2&password=" + pw, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Config{URL: settings.Secret(tc.url), Schema: "public"}.Open(t.Context(), destination.Env{Name: "d"})
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			for _, s := range append([]string{pw, tc.url}, tc.pieces...) {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q: %v", s, err)
				}
			}
		})
	}
	t.Run("names host and database", func(t *testing.T) {
		_, err := New(t.Context(), Config{URL: settings.Secret("postgres://u:" + pw + "@db.example:5432/sales?sslmode=sometimes")}, destination.Env{Name: "d"})
		if err == nil || !strings.Contains(err.Error(), "db.example:5432/sales") {
			t.Errorf("error %v does not name db.example:5432/sales", err)
		}
	})
	t.Run("a connection error names the target and the reason, and unwraps to pgx's", func(t *testing.T) {
		_, err := New(t.Context(), Config{URL: settings.Secret("postgres://loader:" + pw + "@127.0.0.1:1/sales?connect_timeout=2")}, destination.Env{Name: "d"})
		var ce *pgconn.ConnectError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v does not unwrap to *pgconn.ConnectError", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "127.0.0.1:1/sales") || !strings.Contains(msg, "connect") || strings.Contains(msg, "user=") || strings.Contains(msg, pw) {
			t.Errorf("message %q: want the target and the dial error, not pgx's user= and database=", msg)
		}
	})
}

func TestCommitQuotesHostileNames(t *testing.T) {
	schema := newSchema(t) + `"; DROP SCHEMA public; --`
	db := openDB(t, schema)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testURL())
		if err == nil {
			conn.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
			conn.Close(context.Background())
		}
	})
	sq := sqlDB(t, "public")
	tableName := `x"; DROP TABLE y; --`
	cols := []record.Column{{Name: `a"b`, Type: record.Integer}, {Name: `'; DELETE FROM t; --`, Type: record.String}, {Name: "Ünï cödé", Type: record.Boolean}}
	if _, err := sq.Exec(`CREATE TABLE IF NOT EXISTS y (n int)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Exec(`DROP TABLE IF EXISTS y`) })
	f, _ := file(t, "v1", `p'"; --.csv`, t2024, tableData{name: tableName, cols: cols, batches: [][][]any{{{int64(1), "v", true}}}})
	f.Owner = `o'"`
	commitOK(t, db, f, destination.Committed)
	// And again, to go through the Append path on an existing table.
	f2, _ := file(t, "v2", `p'"; --.csv`, t2024.Add(time.Hour), tableData{name: tableName, cols: cols, batches: [][][]any{{{int64(2), "w", false}}}})
	f2.Owner = `o'"`
	commitOK(t, db, f2, destination.Committed)

	got := query(t, sq, `SELECT "a""b", "'; DELETE FROM t; --", "Ünï cödé", _file FROM `+pgx.Identifier{schema, tableName}.Sanitize())
	if fmt.Sprint(got) != fmt.Sprint([][]any{{int64(2), "w", false, `p'"; --.csv`}}) {
		t.Errorf("rows %v", got)
	}
	if n := query(t, sq, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'y'`)[0][0]; n != int64(1) {
		t.Errorf("table y was dropped")
	}
}

func TestCommitRefusesNamesPostgreSQLCannotHold(t *testing.T) {
	db, _, _ := open(t)
	long := strings.Repeat("n", 64)
	for _, tc := range []struct {
		name  string
		table string
		col   string
	}{
		{"long table", long, "c"},
		{"long column", "t", long},
		{"ledger table", destination.LedgerTable, "c"},
		{"system column", "t", record.FileColumn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := file(t, "v-"+tc.name, "a.csv", t2024, tableData{name: tc.table, cols: []record.Column{{Name: tc.col, Type: record.Integer}}, batches: [][][]any{{{int64(1)}}}})
			_, err := db.Commit(t.Context(), f)
			if err == nil || !destination.IsPermanent(err) {
				t.Errorf("Commit = %v, want a permanent error", err)
			}
		})
	}
}

func TestCommitClassifiesErrors(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{{Name: "n", Type: record.Integer}, {Name: "ts", Type: record.Timestamp}}
	f, _ := file(t, "v0", "a.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{{{int64(1), t2024}}}})
	commitOK(t, db, f, destination.Committed)
	if _, err := sq.Exec(`ALTER TABLE e ADD CONSTRAINT small CHECK (n < 100)`); err != nil {
		t.Fatal(err)
	}

	t.Run("a value the table's constraint rejects is permanent", func(t *testing.T) {
		f, _ := file(t, "v1", "b.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{{{int64(1000), t2024}}}})
		_, err := db.Commit(t.Context(), f)
		var pgErr *pgconn.PgError
		if !destination.IsPermanent(err) || !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("Commit = %v, want a permanent check_violation", err)
		}
		if !strings.Contains(fmt.Sprint(err), "b.csv") || !strings.Contains(fmt.Sprint(err), "v1") {
			t.Errorf("error %v does not name the file and version", err)
		}
	})
	t.Run("a timestamp out of PostgreSQL's range is permanent", func(t *testing.T) {
		f, _ := file(t, "v2", "c.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{{{int64(1), time.Date(-5000, 1, 1, 0, 0, 0, 0, time.UTC)}}}})
		_, err := db.Commit(t.Context(), f)
		if !destination.IsPermanent(err) {
			t.Errorf("Commit = %v, want a permanent error", err)
		}
	})
	t.Run("a broken connection mid-COPY is transient and leaves nothing", func(t *testing.T) {
		schema := db.schema
		app := "filedge-kill-" + schema
		victim := openURL(t, testURL()+"&application_name="+app, schema)
		rows := [][]any{{int64(5), t2024}}
		f, src := file(t, "v3", "d.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{rows, rows, rows, rows}})
		src.onNext = func(n int) {
			if n == 3 { // mid-COPY: kill the committing connection
				if _, err := sq.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
					t.Error(err)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		_, err := victim.Commit(t.Context(), f)
		if err == nil || destination.IsPermanent(err) {
			t.Fatalf("Commit = %v, want a transient error", err)
		}
		if n := query(t, sq, `SELECT count(*) FROM e WHERE _file = 'd.csv'`)[0][0]; n != int64(0) {
			t.Errorf("%v rows of the failed commit, want 0", n)
		}
		f, _ = file(t, "v3", "d.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{rows, rows}})
		commitOK(t, victim, f, destination.Committed)
	})
	t.Run("an unreachable server is transient", func(t *testing.T) {
		cfg, _, err := parseURL("postgres://postgres@127.0.0.1:1/test?connect_timeout=2")
		if err != nil {
			t.Fatal(err)
		}
		pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		down := &DB{pool: pool, name: "down", schema: db.schema, ledger: db.ledger}
		f, _ := file(t, "v4", "e.csv", t2024, tableData{name: "e", cols: cols, batches: [][][]any{{{int64(1), t2024}}}})
		_, err = down.Commit(t.Context(), f)
		if err == nil || destination.IsPermanent(err) {
			t.Errorf("Commit = %v, want a transient error", err)
		}
	})
	t.Run("PostgreSQL error codes", func(t *testing.T) {
		for code, permanent := range map[string]bool{
			"22003": true, "22P02": true, "22021": true, "23502": true, "23505": true, "54011": true,
			"40P01": false, "40001": false, "57P01": false, "08006": false, "53300": false, "42P01": false,
		} {
			if got := isPermanentPg(fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code})); got != permanent {
				t.Errorf("isPermanentPg(%s) = %v, want %v", code, got, permanent)
			}
		}
	})
}

func TestConcurrentNewOnOneSchemaSucceeds(t *testing.T) {
	schema := newSchema(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			db, err := New(t.Context(), Config{URL: settings.Secret(testURL()), Schema: schema}, destination.Env{Name: "d"})
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New %d: %v", i, err)
		}
	}
}

func TestAppendCommitIndexesFileColumnOnce(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{{Name: "n", Type: record.Integer}}
	indexes := func() int64 {
		return query(t, sq, `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'ix'`)[0][0].(int64)
	}
	f, _ := file(t, "v1", "a.csv", t2024, tableData{name: "ix", cols: cols, batches: [][][]any{{{int64(1)}}}})
	commitOK(t, db, f, destination.Committed)
	if n := indexes(); n != 0 {
		t.Errorf("%d indexes after the creating commit, want 0", n)
	}
	for i, path := range []string{"b.csv", "a.csv", "c.csv"} {
		f, _ := file(t, fmt.Sprintf("v%d", i+2), path, t2024.Add(time.Hour), tableData{name: "ix", cols: cols, batches: [][][]any{{{int64(i)}}}})
		commitOK(t, db, f, destination.Committed)
		if n := indexes(); n != 1 {
			t.Errorf("%d indexes after commit %d, want 1", n, i+2)
		}
	}
	if n := query(t, sq, `SELECT count(*) FROM ix`)[0][0]; n != int64(3) {
		t.Errorf("%v rows, want 3 (a.csv replaced)", n)
	}
}

func TestCommitConvertsIntoColumnTypesFiledgeDoesNotCreate(t *testing.T) {
	db, sq, _ := open(t)
	// A table made by hand, with types filedge maps onto its own.
	if _, err := sq.Exec(`CREATE TABLE own (
		i4 integer, i2 smallint, num numeric, f4 real, vc varchar(20), ts timestamp, j json, u uuid,
		_file text, _line bigint, _modified timestamptz, _filedge_synced timestamptz, _source_file_hash text)`); err != nil {
		t.Fatal(err)
	}
	cols := []record.Column{
		{Name: "i4", Type: record.Integer}, {Name: "i2", Type: record.Integer}, {Name: "num", Type: record.Float},
		{Name: "f4", Type: record.Integer}, {Name: "vc", Type: record.String}, {Name: "ts", Type: record.Timestamp},
		{Name: "j", Type: record.JSON}, {Name: "u", Type: record.String},
	}
	f, _ := file(t, "v1", "own.csv", t2024, tableData{name: "own", cols: cols, batches: [][][]any{{
		{int64(70000), int64(-300), 2.5, int64(3), "short", t2024, `{"k":1}`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}}})
	res := commitOK(t, db, f, destination.Committed)
	if len(res.Widened) != 0 {
		t.Errorf("Widened %v, want none", res.Widened)
	}
	got := query(t, sq, `SELECT i4, i2, num::text, f4, vc, ts::text, j::text, u::text FROM own ORDER BY _line`)
	want := [][]any{
		{int64(70000), int64(-300), "2.5", float32(3), "short", "2024-03-01 12:30:45.123456", `{"k":1}`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	// A value the column cannot hold is a permanent error, not a retry.
	f, _ = file(t, "v2", "own2.csv", t2024, tableData{name: "own", cols: cols[:1], batches: [][][]any{{{int64(1) << 40}}}})
	if _, err := db.Commit(t.Context(), f); !destination.IsPermanent(err) {
		t.Errorf("Commit of an int4 overflow = %v, want a permanent error", err)
	}
}

func TestNumericColumnsMadeByHandTakeDecimalsWithoutLoss(t *testing.T) {
	db, sq, _ := open(t)
	// numeric(10,2); numeric (any precision); numeric wider than 76 digits;
	// numeric with a negative scale (PostgreSQL 15 rounds to hundreds).
	if _, err := sq.Exec(`CREATE TABLE hand (a numeric(10,2), b numeric, c numeric(100,3), f numeric, r numeric(5,-2),
		_file text, _line bigint, _modified timestamptz, _filedge_synced timestamptz, _source_file_hash text)`); err != nil {
		t.Fatal(err)
	}
	cols := []record.Column{
		{Name: "a", Type: record.DecimalOf(10, 2)}, {Name: "b", Type: record.DecimalOf(40, 20)}, {Name: "c", Type: record.DecimalOf(12, 3)},
		{Name: "f", Type: record.Float}, {Name: "r", Type: record.Integer},
	}
	f, _ := file(t, "v1", "hand.csv", t2024, tableData{name: "hand", cols: cols, batches: [][][]any{{
		{"12.50", "12345678901234567890.12345678901234567890", "-123456789.123", 2.5, int64(7)},
		{"-0.01", "0.00000000000000000001", "0.000", math.NaN(), nil},
		{nil, nil, nil, math.Inf(-1), nil},
		{nil, nil, nil, 1e21, nil},
	}}})
	res := commitOK(t, db, f, destination.Committed)
	// r, a numeric that rounds, cannot take integers as they are: it
	// becomes bigint, reported.
	if want := []string{"hand.r: unknown → integer"}; !slices.Equal(res.Widened, want) {
		t.Errorf("Widened %q, want %q", res.Widened, want)
	}
	got := query(t, sq, `SELECT a::text, b::text, c::text, f::text, r::text FROM hand ORDER BY _line`)
	want := [][]any{
		{"12.50", "12345678901234567890.12345678901234567890", "-123456789.123", "2.5", "7"},
		{"-0.01", "0.00000000000000000001", "0.000", "NaN", nil},
		{nil, nil, nil, "-Infinity", nil},
		{nil, nil, nil, "1000000000000000000000", nil},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	// A wider decimal widens numeric(10,2), never rounding the new values.
	f, _ = file(t, "v2", "hand2.csv", t2024, tableData{name: "hand", cols: []record.Column{{Name: "a", Type: record.DecimalOf(12, 4)}}, batches: [][][]any{{{"-12345678.1234"}}}})
	res = commitOK(t, db, f, destination.Committed)
	if want := []string{"hand.a: decimal(10,2) → decimal(12,4)"}; !slices.Equal(res.Widened, want) {
		t.Errorf("Widened %q, want %q", res.Widened, want)
	}
	if got := query(t, sq, `SELECT a::text FROM hand WHERE a IS NOT NULL ORDER BY _file, _line`); fmt.Sprint(got) != "[[12.5000] [-0.0100] [-12345678.1234]]" {
		t.Errorf("a = %v", got)
	}
}

func TestTypeOfColumnReadsNumericPrecisionAndScale(t *testing.T) {
	mod := func(p, s int) int32 { return int32(p<<16|(s&0x7ff)) + 4 }
	for _, tc := range []struct {
		typmod int32
		want   record.Type
	}{
		{-1, record.Decimal},
		{mod(12, 2), record.DecimalOf(12, 2)},
		{mod(76, 76), record.DecimalOf(76, 76)},
		{mod(1, 0), record.DecimalOf(1, 0)},
		{mod(1000, 3), record.DecimalOf(76, 3)},
		{mod(1000, 900), record.DecimalOf(76, 76)},
		{mod(5, -2), record.Unknown},
		{mod(3, 5), record.Unknown},
	} {
		if got := typeOfColumn(pgtype.NumericOID, tc.typmod); got != tc.want {
			t.Errorf("typeOfColumn(numeric, %d) = %v, want %v", tc.typmod, got, tc.want)
		}
	}
	if got := typeOfColumn(pgtype.Int4OID, -1); got != record.Integer {
		t.Errorf("typeOfColumn(int4) = %v", got)
	}
}
