// Package files is the files destination (type: files): each table of a
// pipeline becomes files of one format (Parquet, CSV, JSON lines or Excel,
// through pkg/format's writers) in a folder, with a ledger of its own, so
// that the three guarantees of destination.Destination.Commit hold for a
// folder as for a database, and a reader of the folder never sees half a
// file.
//
// # Layout
//
//	<path>/<table>/<source path>.<ext>             append, upsert_file: a file per source path
//	<path>/<table>/<source path>@<hash>.<ext>      append, append_file: a file per source path and content
//	<path>/<table>.<ext>                           truncate, and magic folder mode: the table is one file
//	<path>/_filedge/                               the destination's own files
//
// A table that gathers several files is a folder, with a file per source
// file (per source file and content with append_file), which each newer
// version of the path replaces: the folder is the table, as Spark, DuckDB
// (read_parquet('<path>/<table>/*.parquet')) and pyarrow datasets read
// it. A table whose rows one version holds whole, in truncate mode or
// magic folder mode, is one file. Every file of a table has the table's
// columns in the same order and of the same types, its data columns then
// the system columns; a commit that adds a column or widens one rewrites
// the table's other files, as ALTER TABLE rewrites a database's table.
// Names are escaped so that any table name or path makes one file name,
// the same on every file system (see escapeName): "in/Sales 2024.csv"
// becomes "in%2F%53ales%202024.csv.parquet".
//
// # The ledger and the bookkeeping
//
// _filedge holds one JSON file per committed version
// (ledger/<pipeline>/<version>.json), written last: it is the commit, and
// it decides Duplicate. Under paths/, an index per source path records the
// versions newest-wins compares (destination.Newest.Supersedes) and the
// files that hold the path's rows; under tables/, a catalog per table
// records its columns and types (CSV and JSON lines do not carry them), its
// owner in magic folder mode, and the changes a commit is making to its
// files; under owners/, the tables each file owns. Every one of these is
// written whole to a temporary file, synced, and renamed into place.
//
// # Locks, durability and crashes
//
// Commits of one path take turns, and so do commits into one table, across
// processes: each holds flock(2) locks (LockFileEx on Windows) on files in
// _filedge/locks, striped by a digest of the pipeline and path, or of the
// table. A commit reads its batches into a spool on disk (Arrow IPC,
// without a lock and in bounded memory), then, holding the path's lock,
// writes each table's output to a temporary file in the table's final
// columns, and only then takes the tables' locks to put the files in
// place. Every file is synced before it is renamed, and every folder after
// a rename into it or a removal from it.
//
// Temporary files live in _filedge/tmp/<instance>/, one folder per open
// destination, held by a lock: a destination that opens removes the
// folders of those no longer open. A change to a table's files that takes
// more than one rename (a truncate that removes other files, a rewrite of
// the table's files in wider columns) is staged under _filedge/staging and
// recorded in the table's catalog before the first rename; a commit cut
// short by a crash is finished by the next commit into the table, or by
// the next Open.
//
// # Atomicity
//
// PerTable: each table's file appears at once, by one rename, and the
// ledger file comes last, but two tables of one file (the sheets of a
// workbook) appear one after the other. A commit that dies before its
// ledger file may leave some of its tables' files in place; they hold the
// version's rows, and the version, not in the ledger, is committed again,
// which replaces them.
package files
