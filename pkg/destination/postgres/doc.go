// Package postgres is the PostgreSQL destination (type "postgres", also
// "postgresql"). It registers itself with pkg/destination and owns its
// settings (Config): url, a postgres:// or postgresql:// URL whose password
// comes from the environment (${PGPASSWORD}), or DATABASE_URL when the block
// has no url; and schema. They are checked when the pipeline loads, with
// the parsing New does, so a URL that pgx would refuse is reported at its
// line; no message quotes it.
//
// Commit streams a file version's Arrow batches into its tables with binary
// COPY, one COPY per run of a table's batches (a new COPY only where a
// table changes or a batch needs DDL). The values are encoded straight from
// the Arrow arrays into PostgreSQL's binary format, with no text conversion
// and no allocation per value; a column whose type filedge did not create
// (a table made by hand) is encoded by pgx's codecs instead. The rows and
// the version's ledger row (_filedge_ledger) are written in one
// transaction, by the ledger protocol of pkg/destination/sqlledger (pgx
// runs its statements through a small adapter, ledger.go).
//
// Concurrency: several processes may commit at once. Versions of one path
// are serialized by pg_advisory_xact_lock on hashtextextended(pipeline || '/'
// || path, 0), the protocol's path lock; DDL on a table (CREATE, ADD COLUMN, ALTER COLUMN TYPE) runs
// under pg_advisory_xact_lock on hashtextextended('filedge.table/' || schema
// || '.' || table, 0) and re-reads the table's columns after taking it; a
// commit that needs no DDL takes ROW EXCLUSIVE on the table before it trusts
// the column types it read, so no concurrent ALTER can change them under its
// COPY. New creates the schema, the ledger and _filedge_tables under a
// session advisory lock, so concurrent calls do not race on the catalog.
//
// Archive members: a batch whose record.FileColumn names a member of the
// file ("<archive path>!/<member path>", see destination.Batches) gives its
// rows that _file; the value goes into the COPY as a constant of the batch,
// encoded once per run of one member's batches, so member rows cost what
// plain rows cost and batches of several members still share one COPY.
//
// Tables are created without indexes, so that a first bulk load is not
// slowed by index upkeep; the first Append commit into a table that already
// holds rows builds an index on _file, which its DELETE of the path's
// earlier rows then uses. That DELETE matches _file = path OR _file LIKE
// path || '!/%' (path with % _ \ escaped, ESCAPE '\'), the rows of the
// path and of all its archive members; the index is a b-tree with
// text_pattern_ops, which answers both arms (the LIKE as the byte range of
// its prefix) under any database collation, where the default operator
// class serves LIKE only under the C collation. Measured on 1,000,000 rows
// of 5,500 files (PostgreSQL 15, C.UTF-8): the DELETE of an archive's
// 1,000 member rows takes 0.5 ms through a BitmapOr of two scans of that
// index, and 260-340 ms as the sequential scan the planner must use with no
// index or a default-class one; the index builds in 1.3 s (2.2 s for the
// default class). A table that has only an index of another class on _file
// gets the text_pattern_ops one besides.
//
// Column types: Integer is bigint, Float double precision, Boolean boolean,
// Date date, Timestamp timestamptz, String text, JSON jsonb and
// decimal(p,s) numeric(p,s). Decimals go into the COPY in NUMERIC's binary
// format straight from their exact digits, with their scale, never through
// a float; a decimal column widens (ALTER ... TYPE numeric(p,s), or text
// past 76 digits or when floats arrive) as record.Widen says, so the server
// never rounds a value to fit a column. A NUMERIC column made by hand maps
// to its precision and scale; an unconstrained NUMERIC holds every
// decimal, integer and float (the float's shortest decimal). Every
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
