package destinationtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	register("ArchiveMembersLandWithTheirOwnFileNamesInOneCommit", testArchiveMembers)
	register("NewArchiveVersionReplacesEveryOldMemberIncludingDroppedOnes", testArchiveReplace)
	register("ArchiveReplaceLeavesPathsThatOnlyShareItsPrefix", testArchivePrefix)
	register("ArchivePathWildcardsAndEscapeCharacterMatchLiterally", testArchiveWildcards)
	register("MagicFolderArchiveMembersClaimTablesForTheArchive", testArchiveOwnership)
	register("MagicFolderMemberDroppedFromANewVersionLeavesNoRows", testArchiveOwnedMemberDropped)
	register("BatchFileColumnThatIsNoMemberOfTheFileIsRefused", testArchiveBadFileColumn)
}

// member is the rows of one archive member in a table: its path inside the
// archive and its x values.
type member struct {
	path string
	xs   []int
}

// archiveTable returns table t with one batch per member of the archive
// at archive, each batch carrying the member's name as its _file and
// numbering its lines from 1.
func archiveTable(archive string, members ...member) TableBatches {
	tb := TableBatches{Table: "t"}
	for _, m := range members {
		b := Batch{Columns: Cols("x", record.Integer), FirstLine: 1, File: Member(archive, m.path)}
		for _, x := range m.xs {
			b.Rows = append(b.Rows, []any{x})
		}
		tb.Batches = append(tb.Batches, b)
	}
	return tb
}

// plainTable returns table t with one batch of a plain file (no _file
// column), x values xs.
func plainTable(xs ...int) TableBatches {
	b := Batch{Columns: Cols("x", record.Integer)}
	for _, x := range xs {
		b.Rows = append(b.Rows, []any{x})
	}
	return TableBatches{Table: "t", Batches: []Batch{b}}
}

// fileRows returns the rows of table t as sorted "_file line x" strings:
// sorted in Go, because databases order text by different collations.
func fileRows(t *testing.T, r Reader) []string {
	t.Helper()
	var out []string
	for _, row := range Select(t, r, "t", []Column{{record.FileColumn, record.String}, {record.LineColumn, record.Integer}, {"x", record.Integer}}) {
		out = append(out, fmt.Sprintf("%v %v %v", row[0], row[1], row[2]))
	}
	slices.Sort(out)
	return out
}

func assertFileRows(t *testing.T, r Reader, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := fileRows(t, r); !slices.Equal(got, want) {
		t.Errorf("rows (_file _line x):\ngot  %q\nwant %q", got, want)
	}
}

func testArchiveMembers(t *testing.T, h suite) {
	d, r := h.Open(t)
	const archive = "in/batch.zip"
	f := File(t, "v1", archive, t0, archiveTable(archive,
		member{"2026/a.csv", []int{1, 2}},
		member{"2026/b.csv", []int{3}},
	))
	res := Commit(t, d, f, destination.Committed)
	if res.Rows != 3 || !slices.Equal(res.Tables, []string{"t"}) {
		t.Errorf("Result.Rows, Tables = %d, %v; want 3, [t]", res.Rows, res.Tables)
	}
	assertFileRows(t, r,
		"in/batch.zip!/2026/a.csv 1 1",
		"in/batch.zip!/2026/a.csv 2 2",
		"in/batch.zip!/2026/b.csv 1 3",
	)
	// The version's other system columns are the archive's.
	for i, row := range Select(t, r, "t", []Column{{record.ModifiedColumn, record.Timestamp}, {record.HashColumn, record.String}}) {
		if !row[0].(time.Time).Equal(t0) || row[1] != SHA256("v1") {
			t.Errorf("row %d: _modified, _source_file_hash = %v, %v; want the archive's %v, %s", i, row[0], row[1], t0, SHA256("v1"))
		}
	}
	// One ledger row, for the archive.
	assertLedger(t, r, LedgerRow{
		Pipeline: Pipeline, Version: "v1", Path: archive, Size: 1024, Modified: t0,
		SHA256: SHA256("v1"), Tables: []string{"t"}, Rows: 3, Committed: res.Committed,
	})
	// A second archive into the same, existing table: the _file column
	// of its batches is no data column to add.
	Commit(t, d, File(t, "w1", "in/other.tar", t0, archiveTable("in/other.tar", member{"c.csv", []int{4}})), destination.Committed)
	if n := countWhere(t, r, "t", record.FileColumn, "in/other.tar!/c.csv"); n != 1 {
		t.Errorf("in/other.tar!/c.csv has %d rows, want 1", n)
	}
	Commit(t, d, File(t, "v1", archive, t0, archiveTable(archive, member{"2026/a.csv", []int{1, 2}})), destination.Duplicate)
}

// forEachMerge runs test once per merge mode of Append, with a file maker
// whose files carry that mode and all the same content hash, so that
// AppendFile's hash matches everywhere and only the _file condition
// decides what a commit replaces.
func forEachMerge(t *testing.T, test func(t *testing.T, file func(version, path string, modified time.Time, tables ...TableBatches) *destination.File)) {
	for _, merge := range []destination.Merge{destination.UpsertFile, destination.AppendFile} {
		t.Run(string(merge), func(t *testing.T) {
			test(t, func(version, path string, modified time.Time, tables ...TableBatches) *destination.File {
				f := File(t, version, path, modified, tables...)
				f.Merge = merge
				f.SHA256 = SHA256("same bytes")
				return f
			})
		})
	}
}

func testArchiveReplace(t *testing.T, h suite) {
	forEachMerge(t, func(t *testing.T, file func(string, string, time.Time, ...TableBatches) *destination.File) {
		d, r := h.Open(t)
		const archive = "in/batch.zip"
		Commit(t, d, file("o1", "in/other.csv", t0, plainTable(9)), destination.Committed)
		Commit(t, d, file("v1", archive, t0, archiveTable(archive,
			member{"a.csv", []int{1, 1}},
			member{"b.csv", []int{2}},
			member{"old/ç.csv", []int{3, 3, 3}},
			member{"inner.tar!/d.csv", []int{4}},
		)), destination.Committed)
		// v2 no longer has old/ç.csv nor the nested inner.tar!/d.csv: their
		// rows go too.
		Commit(t, d, file("v2", archive, t0.Add(time.Hour), archiveTable(archive,
			member{"a.csv", []int{10}},
			member{"b.csv", []int{20, 21}},
		)), destination.Committed)
		assertFileRows(t, r,
			"in/other.csv 1 9",
			"in/batch.zip!/a.csv 1 10",
			"in/batch.zip!/b.csv 1 20",
			"in/batch.zip!/b.csv 2 21",
		)
		// A version whose batches carry no member names (the archive read
		// as one file) replaces the members' rows as well.
		Commit(t, d, file("v3", archive, t0.Add(2*time.Hour), plainTable(30)), destination.Committed)
		assertFileRows(t, r, "in/other.csv 1 9", "in/batch.zip 1 30")
		// And members replace the path's own rows.
		Commit(t, d, file("v4", archive, t0.Add(3*time.Hour), archiveTable(archive, member{"a.csv", []int{40}})), destination.Committed)
		assertFileRows(t, r, "in/other.csv 1 9", "in/batch.zip!/a.csv 1 40")
	})
	t.Run("AppendFileKeepsOtherContents", func(t *testing.T) {
		d, r := h.Open(t)
		const archive = "in/batch.zip"
		v1 := File(t, "v1", archive, t0, archiveTable(archive, member{"a.csv", []int{1}}, member{"b.csv", []int{2}}))
		v1.Merge = destination.AppendFile
		Commit(t, d, v1, destination.Committed)
		v2 := File(t, "v2", archive, t0.Add(time.Hour), archiveTable(archive, member{"a.csv", []int{3}}))
		v2.Merge = destination.AppendFile
		Commit(t, d, v2, destination.Committed)
		assertFileRows(t, r, "in/batch.zip!/a.csv 1 1", "in/batch.zip!/b.csv 1 2", "in/batch.zip!/a.csv 1 3")
	})
}

func testArchivePrefix(t *testing.T, h suite) {
	forEachMerge(t, func(t *testing.T, file func(string, string, time.Time, ...TableBatches) *destination.File) {
		d, r := h.Open(t)
		const archive = "in/batch.zip"
		// Files whose _file shares a prefix with the archive's, or
		// differs from a member's name only by case.
		var kept []string
		for i, plain := range []string{"in/batch.zip.bak", "in/batch.zi", "in/batch.zip!x.csv", "in/batch.zip/a.csv", "in/batch.zip!", "IN/BATCH.ZIP"} {
			Commit(t, d, file(fmt.Sprintf("p%d", i), plain, t0, plainTable(100+i)), destination.Committed)
			kept = append(kept, fmt.Sprintf("%s 1 %d", plain, 100+i))
		}
		for i, other := range []string{"in/batch.zipx", "in/BATCH.ZIP", "in/batch.zip.bak", "in/batch.zi"} {
			version := fmt.Sprintf("a%d", i)
			Commit(t, d, file(version, other+".tar", t0, archiveTable(other+".tar", member{"a.csv", []int{200 + i}})), destination.Committed)
			kept = append(kept, fmt.Sprintf("%s!/a.csv 1 %d", other+".tar", 200+i))
			if other == "in/batch.zipx" || other == "in/BATCH.ZIP" {
				// Members of an archive named like the prefix itself.
				Commit(t, d, file(version+"z", other, t0, archiveTable(other, member{"a.csv", []int{300 + i}})), destination.Committed)
				kept = append(kept, fmt.Sprintf("%s!/a.csv 1 %d", other, 300+i))
			}
		}
		Commit(t, d, file("v1", archive, t0, archiveTable(archive, member{"a.csv", []int{1}}, member{"b.csv", []int{2}})), destination.Committed)
		Commit(t, d, file("v2", archive, t0.Add(time.Hour), archiveTable(archive, member{"a.csv", []int{3}})), destination.Committed)
		assertFileRows(t, r, append(kept, "in/batch.zip!/a.csv 1 3")...)
	})
}

func testArchiveWildcards(t *testing.T, h suite) {
	forEachMerge(t, func(t *testing.T, file func(string, string, time.Time, ...TableBatches) *destination.File) {
		d, r := h.Open(t)
		// % and _ are LIKE's wildcards and \ its usual escape character:
		// in a path they are plain characters.
		const archive = `in/a%b_c\d.zip`
		var kept []string
		for i, other := range []string{
			`in/aXXbYc\d.zip`, // what % and _ would match
			`in/a%b_cd.zip`,   // what an unescaped \d would match
			`in/a%b_c\\d.zip`, // an escaped backslash
			`in/a%b_c\d.zipx`, // the prefix again
			`in/a%b_c\d`,
			`in/a`,
		} {
			Commit(t, d, file(fmt.Sprintf("o%d", i), other, t0, archiveTable(other, member{"m.csv", []int{100 + i}})), destination.Committed)
			kept = append(kept, fmt.Sprintf("%s!/m.csv 1 %d", other, 100+i))
		}
		Commit(t, d, file("v1", archive, t0, archiveTable(archive,
			member{"m.csv", []int{1}},
			member{`50%_off\x.csv`, []int{2}},
			member{"_", []int{3}},
		)), destination.Committed)
		Commit(t, d, file("v2", archive, t0.Add(time.Hour), archiveTable(archive, member{`50%_off\x.csv`, []int{4}})), destination.Committed)
		assertFileRows(t, r, append(kept, `in/a%b_c\d.zip!/50%_off\x.csv 1 4`)...)
	})
}

// ownedArchive returns version of the archive at archive in magic folder
// mode: each member names its own table, and the archive owns them all (as
// the parser makes it).
func ownedArchive(t *testing.T, archive, version string, modified time.Time, members ...member) *destination.File {
	var tables []TableBatches
	for _, m := range members {
		tb := archiveTable(archive, m)
		tb.Table = m.path
		tables = append(tables, tb)
	}
	f := File(t, version, archive, modified, tables...)
	f.Owner = archive
	return f
}

func testArchiveOwnership(t *testing.T, h suite) {
	d, r := h.Open(t)
	const archive = "in/reports.zip"
	owned := func(version string, modified time.Time, members ...member) *destination.File {
		return ownedArchive(t, archive, version, modified, members...)
	}
	Commit(t, d, owned("v1", t0, member{"sales", []int{1, 2}}, member{"stock", []int{3}}), destination.Committed)
	Commit(t, d, owned("v2", t0.Add(time.Hour), member{"sales", []int{4}}, member{"stock", []int{5}}), destination.Committed)
	AssertRows(t, Select(t, r, "sales", []Column{{record.FileColumn, record.String}, {"x", record.Integer}}),
		[][]any{{"in/reports.zip!/sales", int64(4)}})
	AssertRows(t, Select(t, r, "stock", []Column{{record.FileColumn, record.String}, {"x", record.Integer}}),
		[][]any{{"in/reports.zip!/stock", int64(5)}})

	// A plain file of the same table name is another owner.
	other := File(t, "o1", "in/sales.csv", t0, Table("sales", Cols("x", record.Integer), []any{9}))
	other.Owner = "in/sales.csv"
	if _, err := d.Commit(t.Context(), other); !errors.Is(err, destination.ErrTableOwned) || !destination.IsPermanent(err) {
		t.Errorf("another owner of table sales: Commit error = %v, want a permanent ErrTableOwned", err)
	}
	if n := Count(t, r, "sales"); n != 1 {
		t.Errorf("table sales holds %d rows after the rejected file, want 1", n)
	}
}

func testArchiveOwnedMemberDropped(t *testing.T, h suite) {
	d, r := h.Open(t)
	const archive = "in/reports.zip"
	owned := func(version string, modified time.Time, members ...member) *destination.File {
		return ownedArchive(t, archive, version, modified, members...)
	}
	rows := func(table string) [][]any {
		return Select(t, r, table, []Column{{record.FileColumn, record.String}, {"x", record.Integer}})
	}
	// A table of another owner, which no commit of the archive may touch.
	other := File(t, "o1", "in/other.csv", t0, Table("other", Cols("x", record.Integer), []any{7}))
	other.Owner = "in/other.csv"
	Commit(t, d, other, destination.Committed)

	Commit(t, d, owned("v1", t0, member{"sales", []int{1, 2}}, member{"stock", []int{3}}), destination.Committed)
	// v2 no longer has the stock member: its table keeps no row of the archive.
	Commit(t, d, owned("v2", t0.Add(time.Hour), member{"sales", []int{4}}), destination.Committed)
	AssertRows(t, rows("sales"), [][]any{{"in/reports.zip!/sales", int64(4)}})
	if n := Count(t, r, "stock"); n != 0 {
		t.Errorf("table stock holds %d rows after the archive dropped its member, want 0", n)
	}
	// The member comes back in v3.
	Commit(t, d, owned("v3", t0.Add(2*time.Hour), member{"stock", []int{5}}), destination.Committed)
	AssertRows(t, rows("stock"), [][]any{{"in/reports.zip!/stock", int64(5)}})
	if n := Count(t, r, "sales"); n != 0 {
		t.Errorf("table sales holds %d rows after v3 dropped its member, want 0", n)
	}
	AssertRows(t, Select(t, r, "other", []Column{{record.FileColumn, record.String}, {"x", record.Integer}}),
		[][]any{{"in/other.csv", int64(7)}})
}

// oneBatch is a destination.Batches of one prepared batch, for batches the
// Batch helper cannot describe.
type oneBatch struct {
	table string
	rec   arrow.RecordBatch
}

func (b *oneBatch) Next(context.Context) (string, arrow.RecordBatch, error) {
	if b.rec == nil {
		return "", nil, io.EOF
	}
	rec := b.rec
	b.rec = nil
	return b.table, rec, nil
}

// fileColumnBatch returns a batch of table t with one x per value of
// files, which become its _file column (nil a NULL), as Arrow type typ.
func fileColumnBatch(t *testing.T, typ arrow.DataType, files ...*string) *oneBatch {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	fileField := record.Field(record.FileColumn, record.String)
	fileField.Type = typ
	schema := arrow.NewSchema([]arrow.Field{
		record.Field("x", record.Integer),
		record.Field(record.LineColumn, record.Integer),
		fileField,
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i, f := range files {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		rb.Field(1).(*array.Int64Builder).Append(int64(i + 1))
		switch {
		case f == nil:
			rb.Field(2).AppendNull()
		case typ.ID() == arrow.STRING:
			rb.Field(2).(*array.StringBuilder).Append(*f)
		default:
			rb.Field(2).(*array.BinaryBuilder).Append([]byte(*f))
		}
	}
	return &oneBatch{table: "t", rec: rb.NewRecordBatch()}
}

func testArchiveBadFileColumn(t *testing.T, h suite) {
	const archive = "in/batch.zip"
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name    string
		batches destination.Batches
	}{
		{"AnotherPath", Batches(t, archiveTable("elsewhere.zip", member{"a.csv", []int{1}}))},
		{"PrefixWithoutSeparator", Batches(t, TableBatches{Table: "t", Batches: []Batch{{Columns: Cols("x", record.Integer), Rows: [][]any{{1}}, File: archive + "x/a.csv"}}})},
		{"TwoMembersInOneBatch", fileColumnBatch(t, arrow.BinaryTypes.String, str(Member(archive, "a.csv")), str(Member(archive, "b.csv")))},
		{"NullName", fileColumnBatch(t, arrow.BinaryTypes.String, str(Member(archive, "a.csv")), nil)},
		{"NotString", fileColumnBatch(t, arrow.BinaryTypes.Binary, str(Member(archive, "a.csv")))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, r := h.Open(t)
			Commit(t, d, File(t, "v0", archive, t0, archiveTable(archive, member{"kept.csv", []int{7}})), destination.Committed)
			f := File(t, "v1", archive, t0.Add(time.Hour))
			f.Batches = tc.batches
			_, err := d.Commit(t.Context(), f)
			if err == nil || !destination.IsPermanent(err) {
				t.Fatalf("Commit error = %v, want a permanent error", err)
			}
			assertFileRows(t, r, "in/batch.zip!/kept.csv 1 7")
			if n := ledgerCount(t, r, "v1"); n != 0 {
				t.Errorf("the refused version has a ledger row")
			}
		})
	}
}
