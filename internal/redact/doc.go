// Package redact keeps credentials out of everything filedge prints.
//
// ParseURL reads a connection URL the way a person means it: the user name
// and password are everything between "://" and the last '@' before the
// query, even when the password holds a '/' that Go's URL parser would take
// for the end of the host (postgresql://loader:2024/x@db/sales is the user
// loader with the password 2024/x, not the host loader on port 2024).
// URL.Check refuses a URL that the two readings could disagree on, so that
// what a driver connects to is what the user meant, and no error a driver
// makes of a misread URL can quote a piece of the password. Check and every
// other function here never quote the URL or any part of it in an error.
//
// A Scrubber removes known secrets from text: from log records (Handler,
// over any slog.Handler, attributes and groups included), from output
// (Writer, line by line) and from errors (Error). Besides each secret
// whole, it removes the pieces of a connection URL's credentials that a
// misreading driver could print: the password split at URL delimiters, as
// written and percent-decoded. Secrets may be added after the Scrubber is
// wired in (a process learns its secrets when it loads its pipeline); a
// Scrubber is safe for concurrent use.
package redact
