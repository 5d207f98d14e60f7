// Package postgres is the PostgreSQL destination (type "postgres"). It
// registers itself with pkg/destination and accepts postgres:// and
// postgresql:// URLs.
//
// Commit streams a file version's Arrow batches into its tables with binary
// COPY, one COPY per run of a table's batches (a new COPY only where a
// table changes or a batch needs DDL). The values are encoded straight from
// the Arrow arrays into PostgreSQL's binary format, with no text conversion
// and no allocation per value; a column whose type filedge did not create
// (a table made by hand) is encoded by pgx's codecs instead. The rows and
// the version's ledger row (_filedge_ledger) are written in one
// transaction.
//
// Concurrency: several processes may commit at once. Versions of one path
// are serialized by pg_advisory_xact_lock on hashtextextended(pipeline || '/'
// || path, 0); DDL on a table (CREATE, ADD COLUMN, ALTER COLUMN TYPE) runs
// under pg_advisory_xact_lock on hashtextextended('filedge.table/' || schema
// || '.' || table, 0) and re-reads the table's columns after taking it; a
// commit that needs no DDL takes ROW EXCLUSIVE on the table before it trusts
// the column types it read, so no concurrent ALTER can change them under its
// COPY. New creates the schema, the ledger and _filedge_tables under a
// session advisory lock, so concurrent calls do not race on the catalog.
//
// Tables are created without indexes, so that a first bulk load is not
// slowed by index upkeep; the first Append commit into a table that already
// holds rows builds an index on _file, which its DELETE of the path's
// earlier rows then uses.
//
// Column types: Integer is bigint, Float double precision, Boolean boolean,
// Date date, Timestamp timestamptz, String text and JSON jsonb. Every
// identifier is quoted; values travel only as COPY data or parameters. Text
// with NUL bytes or invalid UTF-8, which PostgreSQL would reject (aborting the
// whole COPY), is cleaned on the way (NUL dropped, invalid bytes replaced by
// U+FFFD).
//
// Errors that retrying cannot fix (PostgreSQL data exceptions, class 22;
// integrity violations, class 23; program limits, class 54; names PostgreSQL
// cannot hold) are *destination.PermanentError; connection failures and
// everything else are plain errors, to be retried. No error carries the
// connection URL or its password.
package postgres
