// Package filedge is the root of filedge, a system that loads files into
// databases through a stream pipeline on a message bus.
//
// A watcher lists file stores (a local folder, object-store buckets,
// SFTP/FTP) and publishes one FileDiscovered event per file version; parser
// workers read each file (CSV and other delimited text, JSON, Avro, Parquet,
// Excel, XML, logs; compressed, archived, PGP-encrypted, in any UTF
// encoding) into typed Arrow record batches; one sink per destination
// (SQLite, PostgreSQL, DuckDB, BigQuery, ...) commits every file version
// exactly once, atomically: its rows and a ledger row in one transaction.
// The stages meet only on the bus (NATS JetStream, embedded or external, or
// Kafka), so each scales on its own; the one binary, cmd/filedge, runs any
// stage or all of them in one process.
//
// This package holds no code. Its tests guard the repository as a whole:
// arch_test.go enforces the dependency directions of the layout (cmd →
// services → pkg, contracts never importing their implementations), and
// deploy_test.go checks the Docker Compose file, the Dockerfile and the
// Kubernetes manifests under deploy/, since no container engine runs where
// the tests do.
package filedge
