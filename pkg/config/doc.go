// Package config reads pipeline.yaml: its types, defaults, validation (every
// problem reported with its YAML line), ${VAR} expansion and the rule that
// credentials come only from the environment.
//
// Load (or Parse, for bytes) returns a *Pipeline with every default applied
// and every relative path made absolute against the pipeline file's folder,
// or a *settings.Errors that lists every problem found, one per line, each
// with the file, line and dotted key ("pipeline.yaml:12: source.path:
// required").
//
// The package reads the pipeline's own keys and passes each component its
// block: a destination's keys besides name, type, write_mode and cdc go to the
// Decode its type registered (pkg/destination), which returns the
// destination's settings (Destination.Settings, the factory that opens it).
// The keys are read with pkg/settings, one decoder for the pipeline and
// every component, so a component's keys get the same line-numbered errors,
// suggestions and ${VAR} expansion as the pipeline's, and adding a
// component needs no change here. The package imports the contracts of
// the components, never their implementations.
//
// Credentials: a password written in the file is refused; it must come from
// the environment, through ${VAR} expansion (postgresql://loader:
// ${PGPASSWORD}@db/sales) or a variable the component reads (DATABASE_URL).
// URLs are read as a person reads them (internal/redact): the user info runs
// to the last '@' before the query, so a password with an unescaped '/'
// ("2024/x", which Go's parser takes for a port) is still found, and a URL
// that a driver could read otherwise (from the file, ${VAR} or
// FILEDGE_NATS_URL) is refused, without being quoted. NATS tokens
// (nats://TOKEN@host) are credentials too. Credentials are held as
// settings.Secret, whose printed, logged and JSON forms are REDACTED, and no
// error message ever quotes an expanded URL; Pipeline.Secrets lists every
// value a process must scrub from what it prints, the components' secrets
// included. The keys of the pgp: block (private key, passphrase, trusted
// signers) must each be exactly one ${VAR} reference; they are held as
// Secret too, and no message quotes them.
//
// Besides the pipeline's own settings, the package holds the format keys
// (Format), the layers under the format (Layers: compression, archives,
// PGP) and the limits that keep a worker alive (Limits, with sizes such as
// 64GiB read by settings.ParseSize). Pipeline.Set applies one of these
// settings from a command line with the checks of the file.
//
// write_mode and cdc (ADR 0005) are the pipeline's keys of a destination
// block, and may sit at the top level, in the Python Filedge's shape, for
// every destination without its own; a cdc: block is resolved into a
// destination.CDCSpec whose column names are the table's (see columnName),
// and write_mode: cdc is refused for a type whose Info does not declare CDC.
//
// docs/configuration.md is the reference for users.
package config
