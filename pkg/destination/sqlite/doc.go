// Package sqlite is the SQLite destination (type "sqlite"), built on the
// pure-Go driver modernc.org/sqlite (no cgo).
//
// The database file runs in WAL mode with synchronous=FULL, so readers never
// block the writer and a committed file version survives a crash. Writers,
// in this process or others, take turns: each Commit is one BEGIN IMMEDIATE
// transaction, after this process's other commits, waiting up to the busy
// timeout for the write lock. Commit runs the ledger protocol of
// pkg/destination/sqlledger in it (look-ups, newest-wins, the ledger row in
// the rows' transaction); holding the file's write lock, a commit holds
// every path's lock at once.
//
// Columns are declared with type names that map back to filedge's types
// without ambiguity (BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP, TEXT,
// JSONTEXT, DECIMALTEXT(p,s)) and values are stored as SQLite's storage
// classes: booleans as 0/1, dates as 'YYYY-MM-DD' text, timestamps as
// sortable UTC text ('2006-01-02T15:04:05.000000Z'), JSON as text, and
// decimals as their exact text with their column's scale ('12.50'):
// SQLite has no exact decimal, and the NUMERIC affinity of DECIMAL(p,s)
// would turn 12345678901234.56 into a REAL and lose digits, while
// DECIMALTEXT has TEXT affinity (compare such values with CAST(... AS
// NUMERIC) or a decimal library, not as text). SQLite cannot change a
// column's declared type in place, so widening a column rebuilds its table
// inside the commit's transaction (the "generalized ALTER TABLE" procedure
// of the SQLite documentation), converting the stored values and
// recreating the table's indexes and triggers.
//
// Each batch is inserted with one statement whose rows a SQL function
// (filedge_cell) reads straight from the Arrow batch, which is about three
// times faster than multi-row INSERTs through the driver: BenchmarkCommit
// commits 1,000,000 rows of 12 columns at about 215,000 rows per CPU
// second.
//
// Archive members: a batch whose record.FileColumn names a member of the
// file ("<archive path>!/<member path>", see destination.Batches) gives its
// rows that _file, bound as a constant of the batch's INSERT like the other
// system columns, so member rows cost what plain rows cost. An Append
// replaces the rows whose _file is the path or lies in the byte range
// [path+"!/", path+"!0"): exactly the path's archive members, case
// sensitive (SQLite's LIKE is not) and with no wildcard to escape.
//
// Settings (Config): url names the database file as SQLAlchemy users write
// it, sqlite:///relative/path.db (relative to the pipeline file's folder)
// or sqlite:////absolute/path.db, or a plain file path; after the pipeline
// loads it is "sqlite://" and the absolute path. SQLite has no schemas: a
// schema key is refused when the pipeline loads, and a Config.Schema by
// Open.
package sqlite
