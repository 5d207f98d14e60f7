package databricks

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// TestCommitUploadsEachStagedFileUnderItsContentHashWithTheToken checks
// the Files API requests of a commit one by one: each staged Parquet file
// is PUT, with the token as a bearer token, under the attempt's folder of
// the staging volume and named by the SHA-256 of the bytes sent; COPY INTO
// names that file; and the commit removes its files and folder after.
func TestCommitUploadsEachStagedFileUnderItsContentHashWithTheToken(t *testing.T) {
	w := newWorkspace(t)
	var logs bytes.Buffer
	d := w.open(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	f := destinationtest.File(t, "v1", "in/a.csv", t0,
		destinationtest.Table("first", destinationtest.Cols("x", record.Integer), []any{1}, []any{2}),
		destinationtest.Table("second", destinationtest.Cols("y", record.String), []any{"z"}))
	destinationtest.Commit(t, d, f, destination.Committed)

	staged := regexp.MustCompile(`^/api/2\.0/fs/files/Volumes/main/conformance/staging/([0-9a-f]{16})/([0-9a-f]{64})\.parquet$`)
	var puts, deletes []string
	folders := map[string]bool{}
	for _, r := range w.fake.Requests() {
		if !r.Authorized {
			t.Errorf("%s %s: no bearer token, or the wrong one", r.Method, r.Path)
		}
		if r.Path == testHTTPPath {
			continue
		}
		switch m := staged.FindStringSubmatch(r.Path); {
		case r.Method == "PUT" && m != nil:
			if m[2] != r.BodySHA256 {
				t.Errorf("PUT %s: the name is not the SHA-256 of the bytes sent (%s)", r.Path, r.BodySHA256)
			}
			if r.Query != "overwrite=true" || r.Size == 0 {
				t.Errorf("PUT %s?%s of %d bytes", r.Path, r.Query, r.Size)
			}
			puts = append(puts, r.Path)
			folders[m[1]] = true
		case r.Method == "DELETE" && m != nil:
			deletes = append(deletes, r.Path)
		case r.Method == "DELETE" && strings.HasPrefix(r.Path, "/api/2.0/fs/directories/Volumes/main/conformance/staging/"):
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
	if len(puts) != 2 || len(folders) != 1 {
		t.Fatalf("PUT %q, want two files in one attempt's folder", puts)
	}
	if strings.Join(deletes, " ") != strings.Join(puts, " ") {
		t.Errorf("deleted %q, want the files put %q", deletes, puts)
	}
	if left := w.fake.Files(); len(left) != 0 {
		t.Errorf("the volume still holds %q", left)
	}
	var copies []string
	for _, s := range w.fake.Statements() {
		if strings.HasPrefix(s.SQL, "COPY INTO") {
			copies = append(copies, s.SQL)
		}
	}
	if len(copies) != 2 {
		t.Fatalf("COPY INTO ran %d times, want once per table", len(copies))
	}
	for i, c := range copies {
		name := puts[i][strings.LastIndex(puts[i], "/")+1:]
		if !strings.Contains(c, "FILES = ('"+name+"')") {
			t.Errorf("%s\ndoes not load %s", c, name)
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("the token is in the logs:\n%s", logs.String())
	}
}

// TestWrongTokenFailsOpenWithoutShowingIt: a workspace that refuses the
// token refuses the connection, and the error does not quote the token.
func TestWrongTokenFailsOpenWithoutShowingIt(t *testing.T) {
	w := newWorkspace(t)
	const wrong = "dapi-WRONG-9f8e7d6c5b4a"
	w.cfg.Token = settings.Secret(wrong)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d, err := New(ctx, w.cfg, destination.Env{Name: "lake"})
	if err == nil {
		d.Close()
		t.Fatal("Open with a token the workspace refuses succeeded")
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows a token: %v", err)
	}
	if destination.IsInvalidConfig(err) {
		t.Errorf("a refused token is ErrInvalidConfig (%v): a token can be renewed in the environment without changing the settings", err)
	}
}

// TestStatementErrorsKeepTheirSQLStateThroughTheDriver runs statements
// through databricks-sql-go against the fake warehouse's Thrift server: a
// data error (SQLSTATE class 22) makes the commit fail for good; a Delta
// concurrency conflict (2D521) is retried and the commit succeeds; one
// that outlasts the retries fails for now, not for good.
func TestStatementErrorsKeepTheirSQLStateThroughTheDriver(t *testing.T) {
	mergeInto := func(table string) func(string) bool {
		return func(sql string) bool { return strings.HasPrefix(sql, "MERGE INTO `main`.`conformance`.`"+table+"`") }
	}
	file := func(t *testing.T, version string) *destination.File {
		return destinationtest.File(t, version, "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{1}))
	}
	t.Run("DataError", func(t *testing.T) {
		w := newWorkspace(t)
		d := w.open(t, nil)
		w.fake.FailNext(mergeInto("t"), "22003", "[NUMERIC_VALUE_OUT_OF_RANGE] a value does not fit", 1)
		_, err := d.Commit(t.Context(), file(t, "v1"))
		if err == nil || !destination.IsPermanent(err) || sqlState(err) != "22003" || !strings.Contains(err.Error(), "NUMERIC_VALUE_OUT_OF_RANGE") {
			t.Fatalf("Commit error = %v (SQLSTATE %q), want a permanent error with SQLSTATE 22003", err, sqlState(err))
		}
		if n := len(reader{d}.mustLedger(t)); n != 0 {
			t.Errorf("the failed version has %d ledger rows", n)
		}
	})
	t.Run("ConflictRetried", func(t *testing.T) {
		w := newWorkspace(t)
		d := w.open(t, nil)
		w.fake.FailNext(mergeInto(destination.LedgerTable), stateConflict, "[DELTA_CONCURRENT_APPEND] Transaction conflict detected", 2)
		w.fake.FailNext(mergeInto("t"), stateConflict, "[DELTA_CONCURRENT_DELETE_READ] Transaction conflict detected", 1)
		destinationtest.Commit(t, d, file(t, "v1"), destination.Committed)
		ledgerMerges, tableMerges := 0, 0
		for _, s := range w.fake.Statements() {
			if mergeInto(destination.LedgerTable)(s.SQL) {
				ledgerMerges++
			}
			if mergeInto("t")(s.SQL) {
				tableMerges++
			}
		}
		if ledgerMerges != 3 || tableMerges != 2 {
			t.Errorf("the ledger's MERGE ran %d times and the table's %d, want 3 and 2", ledgerMerges, tableMerges)
		}
		if n := destinationtest.Count(t, reader{d}, "t"); n != 1 {
			t.Errorf("table t holds %d rows, want 1", n)
		}
	})
	t.Run("ConflictOutlastsTheRetries", func(t *testing.T) {
		w := newWorkspace(t)
		d := w.open(t, nil)
		w.fake.FailNext(mergeInto("t"), stateConflict, "[DELTA_CONCURRENT_APPEND] Transaction conflict detected", 100)
		_, err := d.Commit(t.Context(), file(t, "v1"))
		if err == nil || destination.IsPermanent(err) || !IsConflict(err) {
			t.Fatalf("Commit error = %v, want a conflict that a later retry may win", err)
		}
	})
}

// TestRetryAfterAFailedSecondTableLeavesTheFirstAsItWas: the first table
// of a version is merged when its second fails; the retry of the version
// merges the first table again as a no-op (its rows keep the first try's
// _filedge_synced) and commits.
func TestRetryAfterAFailedSecondTableLeavesTheFirstAsItWas(t *testing.T) {
	w := newWorkspace(t)
	d := w.open(t, nil)
	r := reader{d}
	book := func() *destination.File {
		return destinationtest.File(t, "v1", "book.xlsx", t0,
			destinationtest.Table("first", destinationtest.Cols("x", record.Integer), []any{1}, []any{2}),
			destinationtest.Table("second", destinationtest.Cols("y", record.Integer), []any{3}))
	}
	w.fake.FailNext(func(sql string) bool { return strings.HasPrefix(sql, "MERGE INTO `main`.`conformance`.`second`") },
		"08000", "[CONNECTION_LOST] the warehouse went away", 1)
	if _, err := d.Commit(t.Context(), book()); err == nil || destination.IsPermanent(err) {
		t.Fatalf("Commit error = %v, want a failure worth a retry", err)
	}
	synced := func() []any {
		var out []any
		for _, row := range destinationtest.Select(t, r, "first", []destinationtest.Column{{Name: record.SyncedColumn, Type: record.Timestamp}}) {
			out = append(out, row[0])
		}
		return out
	}
	before := synced()
	if len(before) != 2 {
		t.Fatalf("the first table holds %d rows after the failed try, want its 2 (per-table atomicity)", len(before))
	}
	res := destinationtest.Commit(t, d, book(), destination.Committed)
	if res.Rows != 3 {
		t.Errorf("Result.Rows = %d, want 3", res.Rows)
	}
	destinationtest.AssertRows(t, [][]any{synced()}, [][]any{before})
	if n := destinationtest.Count(t, r, "second"); n != 1 {
		t.Errorf("the second table holds %d rows, want 1", n)
	}
}

// TestAnOlderVersionLosesToANewerOnesClaimBeforeItsLedgerRow: a newer
// version that has claimed its path supersedes an older one even before
// the newer one's ledger row exists, so the older one cannot write over
// rows the newer one is about to write.
func TestAnOlderVersionLosesToANewerOnesClaimBeforeItsLedgerRow(t *testing.T) {
	w := newWorkspace(t)
	d := w.open(t, nil)
	newer := destinationtest.File(t, "v2", "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.String), []any{"new"}))
	newer.Seq = 200
	if held, err := d.claim(t.Context(), newer, time.Now()); err != nil || !held {
		t.Fatalf("claim of the newer version = %v, %v", held, err)
	}
	older := destinationtest.File(t, "v1", "a.csv", t0.Add(time.Hour), destinationtest.Table("t", destinationtest.Cols("x", record.String), []any{"old"}))
	older.Seq = 100
	destinationtest.Commit(t, d, older, destination.Superseded)
	destinationtest.Commit(t, d, newer, destination.Committed)
	destinationtest.AssertRows(t, destinationtest.Select(t, reader{d}, "t", []destinationtest.Column{{Name: "x", Type: record.String}}), [][]any{{"new"}})
}

// TestAPermanentFailureReleasesTheClaim: a version that fails for good
// gives up its claim, so that an older version still commits (as it would
// where the ledger alone decides).
func TestAPermanentFailureReleasesTheClaim(t *testing.T) {
	w := newWorkspace(t)
	d := w.open(t, nil)
	bad := destinationtest.File(t, "v2", "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.String), []any{"new"}))
	bad.Seq = 200
	w.fake.FailNext(func(sql string) bool { return strings.HasPrefix(sql, "MERGE INTO `main`.`conformance`.`t`") },
		"22018", "[CAST_INVALID_INPUT] a value does not fit", 1)
	if _, err := d.Commit(t.Context(), bad); !destination.IsPermanent(err) {
		t.Fatalf("Commit error = %v, want permanent", err)
	}
	older := destinationtest.File(t, "v1", "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.String), []any{"old"}))
	older.Seq = 100
	destinationtest.Commit(t, d, older, destination.Committed)
}

// TestAWideDecimalIsExactTextMarkedByItsComment: a decimal wider than
// DECIMAL(38) is a STRING column whose comment names the decimal, holding
// the exact text with its scale, and the destination says so in its log.
func TestAWideDecimalIsExactTextMarkedByItsComment(t *testing.T) {
	w := newWorkspace(t)
	var logs bytes.Buffer
	d := w.open(t, slog.New(slog.NewTextHandler(&logs, nil)))
	wide := record.DecimalOf(40, 2)
	destinationtest.Commit(t, d, destinationtest.File(t, "v1", "a.csv", t0,
		destinationtest.Table("t", destinationtest.Cols("m", wide), []any{"12345678901234567890123456789012345678.5"})), destination.Committed)
	var full, comment string
	err := d.query(t.Context(), `SELECT full_data_type, comment FROM `+d.catalog+`.information_schema.columns WHERE table_name = 't' AND column_name = 'm'`,
		nil, nil, func(scan func(...any) error) error { return scan(&full, &comment) })
	if err != nil || full != "string" || comment != "filedge:decimal(40,2)" {
		t.Fatalf("column m is %q with comment %q (%v), want string marked filedge:decimal(40,2)", full, comment, err)
	}
	destinationtest.AssertRows(t, destinationtest.Select(t, reader{d}, "t", []destinationtest.Column{{Name: "m", Type: wide}}),
		[][]any{{"12345678901234567890123456789012345678.50"}})
	if !strings.Contains(logs.String(), "decimal(40,2)") {
		t.Errorf("no log line tells that column m is kept as text:\n%s", logs.String())
	}
}

func (r reader) mustLedger(t *testing.T) []destinationtest.LedgerRow {
	t.Helper()
	rows, err := r.Ledger(t.Context(), destinationtest.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestAStatementStillRunningIsPolledUntilItEnds: a statement the warehouse
// answers as still running is polled with GetOperationStatus, and the
// commit goes on once it has finished.
func TestAStatementStillRunningIsPolledUntilItEnds(t *testing.T) {
	w := newWorkspace(t)
	d := w.open(t, nil)
	w.fake.SlowNext(func(sql string) bool {
		return strings.HasPrefix(sql, "MERGE INTO `main`.`conformance`.`_filedge_ledger`")
	}, 1)
	destinationtest.Commit(t, d, destinationtest.File(t, "v1", "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{1})), destination.Committed)
	calls := strings.Join(w.fake.Calls(), " ")
	for _, want := range []string{"OpenSession", "ExecuteStatement", "GetOperationStatus", "GetResultSetMetadata", "FetchResults", "CloseOperation"} {
		if !strings.Contains(calls, want) {
			t.Errorf("the driver never called %s: %s", want, calls)
		}
	}
	if rows := (reader{d}).mustLedger(t); len(rows) != 1 {
		t.Errorf("the ledger holds %d rows, want 1", len(rows))
	}
}
