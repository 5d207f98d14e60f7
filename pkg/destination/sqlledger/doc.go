// Package sqlledger is the ledger protocol of SQL destinations, written
// once: how a destination whose database has transactions keeps the three
// guarantees of destination.Destination.Commit (exactly once per version,
// newest wins, rows and ledger row together) across all of a file's tables.
// SQLite and PostgreSQL use it; MySQL/MariaDB and DuckDB are to.
//
// # The protocol
//
// Commit runs one file version through these steps; the destination
// supplies only its Writer (the rows) and its DB (a connection and a way to
// open a transaction under a lock):
//
//  1. Look the version up in the ledger, outside any transaction: a
//     version already committed is Duplicate, and no batch is read.
//  2. Read the first batch, before any lock is taken: the parser may
//     still be working on it.
//  3. Open the transaction under the lock of the file's path (DB.Begin),
//     so that two versions of one path commit one at a time.
//  4. Look the version up again, under the lock: this look-up decides
//     Duplicate.
//  5. Unless the merge mode keeps every version, read the newest version
//     of the path the ledger holds (two probes of the (pipeline, path,
//     seq) index) and return Superseded when destination.Newest.Supersedes
//     says the file lost.
//  6. Write the rows (Writer.Write), claiming each table in magic folder
//     mode (Ledger.Claim) and emptying the owner's tables the version no
//     longer has (Writer.Empty).
//  7. Write the ledger row, with the commit time and what was written;
//     a conflict on its primary key (pipeline, version) is a concurrent
//     commit of the same version that won: Duplicate.
//  8. Commit. Any error, or a Duplicate or Superseded outcome, rolls the
//     transaction back.
//
// # CDC
//
// A file with write mode CDC (ADR 0005) goes through the same steps, but
// newest-wins of paths (step 5) does not apply: every version applies,
// change by change. The Writer, a CDCWriter, stages each table's changes in
// a temporary table, then calls PrepareCDC (row errors, ties, and the
// dedupe that keeps each key's newest change, with one window over the
// stage) and, holding the table's CDC lock, MergeCDC: four set-based
// statements over the table and its tombstone table (a DELETE of the rows
// newer deletes beat, INSERT ... ON CONFLICT (keys) DO UPDATE ... WHERE
// newer for the tombstones and for the rows, a DELETE of the tombstones
// newer upserts beat), written once over the dialect (RowID, TextOrder,
// CastText). MySQL, which has no ON CONFLICT ... WHERE, needs its own
// statements (ADR 0005 says which).
//
// Setup creates the bookkeeping tables (destination.LedgerTable,
// destination.TablesTable) where they are missing and migrates a ledger
// written before discovery sequences (it adds the seq column and replaces
// the (pipeline, path) index by PathSeqIndex), reading the catalog first
// so that it changes only what is missing. A destination runs it when it
// opens, serialised against other processes' set-ups, never inside a
// commit.
//
// # The dialect
//
// A Dialect says how the database writes what the protocol needs:
// placeholders ($n or ?), quoting, the bookkeeping tables' column types,
// how timestamps travel (time.Time or text), text cleaning, the
// unique-violation predicate, the clause that makes an INSERT of an
// existing key do nothing, how to tell that a table exists, and how to read
// the catalog for Setup. The statements are written once, by New. A Conn
// runs them on the destination's driver: SQL adapts database/sql, and a
// driver with an API of its own needs an adapter of a few lines (see
// pkg/destination/postgres).
//
// # What MySQL/MariaDB needs
//
//   - DDL commits implicitly. Setup runs at open, on its own connection
//     and outside any commit, serialised by GET_LOCK/RELEASE_LOCK (a
//     session lock is fine there: the connection is closed after it).
//     Within a commit, the Writer creates and alters data tables on a
//     second connection before the commit's transaction first touches the
//     table, staging batches in a TEMPORARY table (whose DDL commits
//     nothing) when a later batch widens a table already written.
//   - The path lock must end with the transaction on every path, which a
//     session-level GET_LOCK does not (a failed commit would return a
//     locked connection to the pool). DB.Begin instead begins the
//     transaction and takes a row lock: INSERT INTO a lock table (key
//     column a digest of the key) ... ON DUPLICATE KEY UPDATE, or SELECT
//     ... FOR UPDATE of a row inserted beforehand. InnoDB releases it at
//     commit, rollback or disconnection. A commit of a large file holds it
//     longer than innodb_lock_wait_timeout (50 s) by default: Begin sets
//     the session's timeout, or the waiter's error is a retry.
//   - Placeholders are ?; identifiers are quoted with backquotes unless the
//     session sets ANSI_QUOTES; IgnoreConflict is ON DUPLICATE KEY UPDATE
//     key = key; the unique violation is error 1062 (ER_DUP_ENTRY).
//   - Types: Key is a VARCHAR short enough for an InnoDB index (3072 bytes
//     for a key: VARCHAR(255) for pipeline and version with utf8mb4, and
//     the path within what is left, or a generated digest column indexed
//     in its place); Text is LONGTEXT, BigInt BIGINT, Timestamp
//     DATETIME(6) (in UTC, with the driver's parseTime and loc=UTC), JSON
//     LONGTEXT.
//   - Catalog reads information_schema.tables, .columns and .statistics of
//     DATABASE(); TableExists is EXISTS (SELECT 1 FROM
//     information_schema.tables WHERE table_schema = DATABASE() AND
//     table_name = name).
//
// # What DuckDB needs
//
//   - One process writes a database file: DB.Begin serialises the
//     process's commits (a mutex or a channel, waited on with the
//     context, as SQLite's is) and begins; no lock statement is needed.
//     Its transactions are optimistic, so a second writer in the same
//     process would fail at commit rather than wait: the serialisation is
//     what makes the look-up under the lock authoritative.
//   - Placeholders may be $n (Dollar) or ?; quoting is ANSI; IgnoreConflict
//     is the default ON CONFLICT ... DO NOTHING; DDL is transactional.
//   - Types: VARCHAR, BIGINT, TIMESTAMPTZ (time.Time travels as itself),
//     JSON or VARCHAR.
//   - Catalog and TableExists read duckdb_tables(), duckdb_columns() and
//     duckdb_indexes() (or information_schema) of the destination's
//     schema.
package sqlledger
