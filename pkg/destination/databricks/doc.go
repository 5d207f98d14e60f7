// Package databricks is the Databricks destination (type "databricks"): it
// loads file versions into Delta tables of a Unity Catalog schema through
// a SQL warehouse (databricks-sql-go, Thrift over HTTPS) and the
// workspace's Files API. It registers itself with pkg/destination and owns
// its settings (Config): server_hostname, http_path, catalog, schema,
// staging (a volume folder), the token from DATABRICKS_TOKEN (or token:
// ${VAR}), and endpoint for a proxy or an emulator.
//
// # A commit
//
//  1. Look the version up in the ledger (_filedge_ledger, a Delta table):
//     a version there is Duplicate, and no batch is read.
//  2. Unless the merge mode keeps every version (append_file): read the
//     newest version of the path the ledger holds and return Superseded
//     if it is newer (destination.Newest), then claim the path in
//     _filedge_paths with one MERGE that records this version unless the
//     claim held is of a newer one; a lost claim is Superseded.
//  3. Table by table, as the batches come: claim the table in magic
//     folder mode (_filedge_tables); write its batches into Parquet files
//     on local disk in the table's column types (converting narrower
//     values as the other destinations do), their data columns named c0,
//     c1 ... and then _line and _file; create, add columns to or widen the
//     table; upload each file through the Files API under
//     <staging>/<attempt>/<SHA-256 of its bytes>.parquet; create a staging
//     table _filedge_stage_<attempt>_<n> and COPY INTO it (COPY INTO skips a
//     file it loaded already, by name, so a COPY INTO run again loads
//     nothing twice), checking that it holds every staged row; then one
//     MERGE into the table; then drop the staging table and remove the
//     files.
//  4. In magic folder mode, the same MERGE with no rows for each table the
//     file owns that this version has none for.
//  5. Write the ledger row last, with a MERGE that inserts it when the
//     ledger lacks the version and (but for append_file) the path's claim
//     is still this version's: inserted, the version is Committed; found,
//     a concurrent commit of the same version won (Duplicate); neither, a
//     newer version claimed the path meanwhile (Superseded: its commit
//     replaces the rows this one wrote).
//
// # The MERGE of a table
//
// A version's rows are identified by the file and its content: _file (the
// path, or an archive member of it), _source_file_hash and _modified. The
// source of the MERGE is the staged rows whose _file has no rows of this
// version yet, followed by one marker row per _file of the rows the
// version replaces (the path's and its members' under append and
// upsert_file, those of the same hash under append_file, every row under
// truncate). The markers match, and delete, the replaced rows that are
// not this version's; the staged rows match nothing and are inserted. Run
// again, the MERGE finds the version's rows in place, deletes nothing and
// inserts nothing: a retry of a commit that failed after some of its
// tables (per-table atomicity) is a no-op for those tables. Both parts of
// the source read the claim of the path, so that a version whose claim a
// newer version took changes no row.
//
// # Atomicity and concurrency
//
// Each MERGE commits one Delta table, and the ledger row is written after
// the last one: Info.Atomicity is destination.PerTable. A reader of a
// file with several tables (the sheets of a workbook, the members of an
// archive in magic folder mode) may see one table with the new version's
// rows while another still has the old one's, until the commit reaches
// it; a commit that fails half way leaves the tables it merged with the
// new rows, no ledger row, and a retry completes it. Each table is always
// all of one version or all of another.
//
// Delta has no locks: concurrent commits meet in its optimistic
// concurrency control. Two claims of a path, two ledger rows of a version
// or two MERGEs of a table conflict (SQLSTATE 2D521, DELTA_CONCURRENT_*),
// and the loser's statement is run again, reading anew, up to a dozen
// times with jittered backoff. filedge's tables are created without
// deletion vectors, so that conflicts are detected by file: with
// row-level concurrency two MERGEs that only insert would both commit.
//
// # Types
//
// BOOLEAN, BIGINT, DOUBLE, DECIMAL(p,s) up to 38 digits, DATE, TIMESTAMP
// (the session runs in UTC), and STRING for text. JSON is a STRING whose
// column comment is filedge:json: VARIANT would need a recent runtime and
// a table feature every reader must support, and it does not keep the
// document's text as it was. A decimal of more than 38 digits is a STRING
// holding its exact text with its scale, its comment filedge:decimal(p,s)
// (logged as a column issue). A widening that changes a Delta type
// rebuilds the table in one commit (CREATE OR REPLACE TABLE ... AS SELECT
// converting the column): Delta's type widening would need the
// typeWidening table feature, which upgrades the table's protocol for
// every reader, and it covers only some changes (not to STRING, not DATE
// to TIMESTAMP). A widening of JSON or a wide decimal to text changes the
// comment only.
package databricks
