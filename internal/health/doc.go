// Package health keeps what a filedge process knows about the parts it
// depends on (its bus, each destination, the embedded bus's store) and
// serves it over HTTP for orchestrators: /healthz answers 200 while the
// process runs its stages (liveness), /readyz 200 when every part works and
// 503 otherwise, with a small JSON report that names each part, its state,
// since when, and the last error, redacted (readiness).
//
// A Registry holds the parts, each a Component. A part's state comes from
// the code that uses it (Component.Set), from Component.Retry, which waits
// for a part that cannot be reached yet with capped, jittered backoff and
// logs one line per change (Component.Attempt tries once), and from a
// probe (Component.SetProbe) that /readyz runs on each request. Server
// serves the endpoints; more handlers (metrics) are added with
// Server.Handle.
package health
