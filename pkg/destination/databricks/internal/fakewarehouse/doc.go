// Package fakewarehouse is an in-test Databricks workspace for the
// databricks destination's tests: a SQL warehouse that databricks-sql-go
// talks to over Thrift (TCLIService over HTTP, the calls the driver makes:
// OpenSession, ExecuteStatement, GetOperationStatus, GetResultSetMetadata,
// FetchResults, CloseOperation, CloseSession, CancelOperation) and the
// Files API of Unity Catalog volumes (PUT, GET and DELETE
// /api/2.0/fs/files{path}, DELETE /api/2.0/fs/directories{path}).
//
// The warehouse runs the statements the destination writes against an
// in-memory SQLite database, translating the Databricks SQL it uses:
// three-part names, backquoted identifiers, named parameters, <=>, CAST,
// date_format, CREATE TABLE ... USING DELTA with column comments, ADD
// COLUMNS, ALTER COLUMN ... COMMENT, CREATE OR REPLACE TABLE ... AS
// SELECT, COPY INTO from the staged Parquet files (skipping a file a table
// already loaded, by name), MERGE INTO (with Delta's check that no target
// row matches two source rows, and its metrics row) and
// information_schema.columns and .tables. Values are kept in a canonical
// form per Databricks type (see engine.go), and results are typed the way
// the warehouse types them. Statements run one at a time, so Delta's
// concurrency conflicts never arise by themselves; FailNext injects them
// (or any error) for tests of the retries.
//
// It is a test double, not an emulator of Databricks: it accepts what the
// destination sends and refuses much that Databricks would accept.
package fakewarehouse
