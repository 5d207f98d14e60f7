package destination

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/settings"
)

// Destination is a database that filedge loads. Implementations are safe for
// concurrent use: several sinks (goroutines or processes) may commit
// different versions, or the same version, at once.
type Destination interface {
	// Commit loads one file version, f, and keeps three guarantees, whatever
	// its mechanism (ADR 0004):
	//
	//  1. Exactly once per version. A version the ledger already holds
	//     (f.Pipeline, f.Version) is Duplicate and changes nothing; one found
	//     there when Commit starts is reported without reading f.Batches.
	//     Two commits of the same version at once, in one process or in
	//     several, leave it once: one is Committed, the other Duplicate.
	//  2. Newest wins. A version of f.Path discovered before one the ledger
	//     already holds, as Newest.Supersedes decides it (the higher
	//     File.Seq is newer, never the later modification time), is
	//     Superseded and changes nothing, unless f.Merge is AppendFile,
	//     which keeps every version, or f.WriteMode is CDC, whose every
	//     version applies change by change (ADR 0005). Two versions of one path committed at
	//     once end with the newer one's rows, whichever starts first.
	//  3. Rows and ledger row together. A reader sees the version's rows
	//     (with f.WriteMode and f.Merge applied to the earlier rows) and its
	//     ledger row together, or neither. How far this reaches is the
	//     type's Info.Atomicity: across every table of the file at once
	//     (AllTables), or table by table (PerTable). A commit that fails or
	//     is cancelled leaves none of its rows visible (PerTable: none that
	//     a retry does not replace) and no ledger row; the caller may retry
	//     the same f with a fresh Batches.
	//
	// Within these, Commit reads every batch of f.Batches, creates each
	// table, adds missing columns and widens column types as the batches
	// require (reporting them in Result.Added and Result.Widened), applies
	// f.WriteMode and f.Merge to each table's earlier rows, adds the system
	// columns, and in magic folder mode (f.Owner) claims each table for its
	// owner. How a type keeps the guarantees is its own affair: SQL
	// databases with transactions share one protocol, written once in
	// pkg/destination/sqlledger (a lock per path, the ledger looked up
	// under it, newest-wins, the ledger row written in the rows'
	// transaction); others use load jobs, MERGE or staged files. Every
	// type passes the conformance suite, pkg/destination/destinationtest,
	// which checks the guarantees it declares.
	Commit(ctx context.Context, f *File) (*Result, error)

	// Close releases the destination's connections.
	Close() error
}

// File is one file version to commit.
type File struct {
	Pipeline string
	Version  string
	Path     string
	Size     int64
	Modified time.Time
	// Seq is the version's discovery sequence within its path
	// (bus.FileDiscovered.Seq): the version with the higher Seq was
	// discovered later and is the newer one, even when its Modified is
	// older. Zero when unknown (the version was announced before sequences
	// existed); see Newest for how such versions compare. The ledger
	// records it.
	Seq int64
	// SHA256 is the hex digest of the file's bytes. The parser hashes a file
	// before it parses it and sends the digest with every batch, so it is
	// known once Batches has returned the first batch (which may be empty):
	// Batches fills it in then, if the caller did not set it before Commit.
	SHA256 string

	WriteMode WriteMode
	Merge     Merge
	// CDC is how the file's rows apply as changes, set when WriteMode is
	// CDC (ADR 0005); nil otherwise.
	CDC *CDCSpec
	// Owner, when set (magic folder mode), claims each table for this file:
	// a table first loaded from another owner rejects the file with
	// ErrTableOwned.
	Owner string

	// Batches yields the version's record batches in order.
	Batches Batches
}

// Check refuses a file that no destination can commit (a
// *PermanentError): one without a pipeline, version, path or batches, or
// with a write or merge mode this package does not define. The empty modes
// are Append and UpsertFile. A CDC file is refused too: a destination that
// applies write mode cdc calls CheckCDC instead.
func (f *File) Check() error { return f.check(false) }

// CheckCDC is Check for a destination that applies write mode cdc: a CDC
// file passes when its spec is sound and it is not in magic folder mode.
func (f *File) CheckCDC() error { return f.check(true) }

func (f *File) check(cdc bool) error {
	if f == nil || f.Pipeline == "" || f.Version == "" || f.Path == "" || f.Batches == nil {
		return &PermanentError{Err: errors.New("file needs a pipeline, version, path and batches")}
	}
	switch f.WriteMode {
	case "", Append, Truncate:
	case CDC:
		if !cdc {
			return &PermanentError{Err: errors.New("this destination does not apply write mode cdc")}
		}
		if err := f.CDC.Check(); err != nil {
			return &PermanentError{Err: err}
		}
		if f.Owner != "" {
			return &PermanentError{Err: errors.New("write mode cdc does not apply in magic folder mode")}
		}
	default:
		return &PermanentError{Err: fmt.Errorf("unknown write mode %q", f.WriteMode)}
	}
	switch f.Merge {
	case "", UpsertFile, AppendFile:
	default:
		return &PermanentError{Err: fmt.Errorf("unknown merge mode %q", f.Merge)}
	}
	return nil
}

// Batches yields record batches, each with the name of its table. Batches of
// one table come in order, and all of a table's batches before the next
// table's. A batch's schema holds the data columns and record.LineColumn; the
// types of one table's batches may widen from batch to batch (never narrow),
// and a later batch may add columns.
//
// Archive members. A file that is an archive (zip, tar) holds several files
// for the user, each named "<archive path>!/<member path>" (for example
// "in/batch.zip!/2026/a.csv"), yet the whole archive version is one File and
// one commit: File.Path, the ledger row and the path lock are the archive's.
// A batch of a member carries a column named record.FileColumn (Arrow
// string, the member's name, the same non-NULL value on every row of the
// batch) right after record.LineColumn. When a batch has that column, its
// value is the rows' record.FileColumn instead of File.Path, and the
// destination does not treat it as a data column (it adds no column for it:
// it is the system column). The value must be File.Path itself or start
// with File.Path + "!/"; a destination refuses any other value, a NULL or a
// batch whose rows disagree with a *PermanentError, so that every row a
// commit writes is found again by the next version of the same path.
// Accordingly, Append replaces the rows whose record.FileColumn is File.Path
// or starts with File.Path + "!/" (a new version of an archive replaces the
// rows of all its old members, including members it no longer has), with
// the same content hash under AppendFile; the match is exact and case
// sensitive (no other path that merely shares the prefix, such as
// "in/batch.zip.bak" or "in/batch.zipx!/a.csv", and no wildcard in the path
// matches). Batches without the column (plain files) keep File.Path.
type Batches interface {
	// Next returns the next batch, which the caller releases, or io.EOF
	// after the last one. A table with no rows yields one empty batch, so
	// that it is created and its write mode applied.
	Next(ctx context.Context) (table string, batch arrow.RecordBatch, err error)
}

// WriteMode says what a commit does to a table's existing rows.
type WriteMode string

const (
	// Append keeps other files' rows and replaces this file's (see Merge),
	// so re-ingesting the same bytes duplicates nothing.
	Append WriteMode = "append"
	// Truncate replaces all of the table's rows with the file's.
	Truncate WriteMode = "truncate"
	// CDC applies the file's rows as changes (insert, update, delete) to
	// the rows of their keys, the newest change of a key winning whatever
	// the order in which files commit: see File.CDC and ADR 0005. Only a
	// type whose Info declares CDC takes it.
	CDC WriteMode = "cdc"
)

// Merge says which earlier rows of the same path an Append replaces.
type Merge string

const (
	// UpsertFile replaces every earlier row of the path (_file).
	UpsertFile Merge = "upsert_file"
	// AppendFile keeps earlier versions and replaces only rows of the same
	// path with the same content hash (_file, _source_file_hash).
	AppendFile Merge = "append_file"
)

// Outcome is what a commit did.
type Outcome string

const (
	Committed  Outcome = "committed"  // rows and ledger row written
	Duplicate  Outcome = "duplicate"  // the ledger already held the version: nothing written
	Superseded Outcome = "superseded" // a newer version of the path was already committed: nothing written
)

// Result reports a commit.
type Result struct {
	Outcome   Outcome
	Tables    []string // tables written, in order
	Rows      int64    // data rows written
	Committed time.Time
	// Widened lists column type changes the commit made to existing tables,
	// as "table.column: integer → float".
	Widened []string
	// Added lists the columns the commit added to existing tables (not
	// those of the tables it created), as "table.column: decimal(12,2)":
	// like a widening, a change of a table's shape that readers should
	// hear of.
	Added []string
	// Skipped counts the rows the commit left out as row errors, under
	// CDCSpec.SkipInvalid (a change whose operation is unknown, whose key
	// or sequence is NULL, or that ties with another change of its key);
	// Problems describes the first MaxProblems of them.
	Skipped  int64
	Problems []Problem
}

// MaxProblems is how many row errors a Result describes; the rest are
// only counted.
const MaxProblems = 10

// Problem is a row error of a commit, at its place in the file.
type Problem struct {
	Table string
	// File is the rows' _file: File.Path, or an archive member's name.
	File    string
	Line    int64
	Column  string
	Message string
}

func (p Problem) String() string {
	s := p.Message
	if p.Column != "" {
		s = fmt.Sprintf("column %q: %s", p.Column, s)
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	return s
}

// Config is a destination's settings: the struct its type decodes from a
// connector: block or an entry of destinations: (Info.Decode), with the
// environment's values already expanded. It is the factory of the
// destination it describes. A Config holds its credentials as
// settings.Secret, so that printing or logging it shows none.
type Config interface {
	// Open connects to the destination (creating its ledger tables if they
	// are missing). env is what the destination needs besides its
	// settings.
	Open(ctx context.Context, env Env) (Destination, error)
}

// Env is what Config.Open needs that is not a setting.
type Env struct {
	// Name is the destination's name in the pipeline, for messages.
	Name string
	// Dir is the pipeline file's folder, absolute: what relative paths in
	// the settings are relative to.
	Dir string
	// Logger receives what the destination logs; nil logs nothing.
	Logger *slog.Logger
}

// Info describes a registered destination type.
type Info struct {
	// Type is the name pipeline.yaml's type: key gives (sqlite, postgres),
	// and Aliases other names users write for it (sqlite3, postgresql).
	// Both are lower case.
	Type    string
	Aliases []string
	// Label is the type's name for people (PostgreSQL).
	Label string
	// Atomicity says how far guarantee 3 of Commit (rows and ledger row
	// visible together) reaches.
	Atomicity Atomicity
	// CDC declares that the type applies files with WriteMode CDC (ADR
	// 0005); the pipeline refuses write_mode: cdc on a type without it.
	CDC bool
	// Decode reads the type's own keys from its block of pipeline.yaml (the
	// pipeline reads name, type, write_mode and cdc), reports every problem on
	// the block, and returns the settings, whose Open opens the
	// destination. It is called once per destination of a pipeline, when
	// the pipeline loads; what it returns is used only when the block has
	// no problem.
	Decode func(*settings.Block) Config
}

// Atomicity is the reach of a destination's "rows and ledger row visible
// together" guarantee (ADR 0004).
type Atomicity int

const (
	// AllTables: one transaction covers every table of the file and the
	// ledger row (SQLite, PostgreSQL): a reader never sees one table of a
	// version without the others.
	AllTables Atomicity = iota + 1
	// PerTable: each table's rows and its ledger entry are atomic, but two
	// tables of one file may be seen out of step for a moment (a warehouse
	// whose transactions span one table, such as Databricks' MERGE, or a
	// folder of files).
	PerTable
)

func (a Atomicity) String() string {
	switch a {
	case AllTables:
		return "all tables"
	case PerTable:
		return "per table"
	}
	return "Atomicity(" + strconv.Itoa(int(a)) + ")"
}

// LedgerTable is the table, in every destination, that records committed
// file versions.
const LedgerTable = "_filedge_ledger"

// TablesTable records which file owns each table in magic folder mode.
const TablesTable = "_filedge_tables"

// Newest summarises the versions of one path that a destination's ledger
// holds, as much as newest-wins needs: a destination reads it under the
// path's lock and asks Supersedes whether the version it is about to commit
// has lost.
type Newest struct {
	// Seq is the highest discovery sequence among the path's versions;
	// 0 when none has one.
	Seq int64
	// Modified is the latest modification time among the path's versions
	// without a sequence (recorded before sequences existed); the zero
	// time when there is none.
	Modified time.Time
}

// Supersedes reports whether the ledger holds a version of f.Path newer
// than f, which must then not be committed (outcome Superseded). The rule,
// the same in every destination:
//
//   - a version with a sequence (Seq > 0) is newer than one with a lower
//     sequence, whatever their modification times: newest means discovered
//     last, and a file replaced by content with an older modification time
//     (cp -p, rsync -t, unzip, tar x) is still loaded, while an older version
//     that arrives late (redelivered, slowly parsed) still loses;
//   - a version with a sequence is newer than any version without one;
//   - versions without a sequence (Seq <= 0: announced before sequences
//     existed, or ledger rows written before) compare among themselves by
//     modification time; an equal time is not newer.
func (n Newest) Supersedes(f *File) bool {
	if f.Seq > 0 {
		return n.Seq > f.Seq
	}
	return n.Seq > 0 || n.Modified.After(f.Modified)
}

// Ledger is a Destination that can say whether it holds a file version.
type Ledger interface {
	// Lookup returns the commit of a version, or found false.
	Lookup(ctx context.Context, pipeline, version string) (res *Result, found bool, err error)
}

// Pinger is a Destination that can check that its database answers, for
// readiness reports.
type Pinger interface {
	// Ping returns nil when the database answers, and why not otherwise.
	Ping(ctx context.Context) error
}
