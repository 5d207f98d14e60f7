// Package watcher is filedge's first stage: it lists a pipeline's source,
// notices new and modified files once they have stopped changing, and
// publishes one bus.FileDiscovered per file version.
//
// # Versions and settling
//
// A file version is its path, size, modification time and etag, named by
// bus.VersionID. A version is published only after it has settled: seen
// with the same size and modification time on two looks at least the
// settle interval apart (config Watcher.Settle). A file still being written
// changes between looks and waits; a half-written file is never published.
//
// Some versions are settled at first sight: one whose modification time is
// older than the settle interval (nothing wrote it for that long: every
// file of `run --once` and of a restart), and one the source reports
// complete (source.Change: its writer closed it, or it was renamed into the
// folder). Such a version is published at once unless it changes again.
// Should a file server's clock lag the watcher's by more than the settle
// interval, a file being written could look old: it would be published
// early, the parser would find it changed and report that version
// superseded, and the version it settles at would be published then.
//
// # State and exactly-once
//
// The versions already published live in a table of the bus (a StateStore:
// a JetStream key-value bucket on NATS, a compacted topic on Kafka; the
// messages call it the state bucket), StateTable(pipeline) =
// "filedge_watcher_<pipeline>", one key per path (the first 32 hex digits
// of the SHA-256 of the path) holding the path's last published version. A
// version found there is not published again, so a restarted watcher
// republishes nothing. The watcher publishes first and records second: a
// crash between the two publishes the version once more after the restart,
// which the bus's dedup window (the message id is the version id) or else
// the destinations' ledgers absorb. A publish that fails is not recorded
// and is retried by the next scan.
//
// Each published version carries a discovery sequence
// (bus.FileDiscovered.Seq), kept in its record so that a known version is
// reported with the same one: the watcher's clock in nanoseconds, forced
// above the path's previous sequence. Destinations keep the version with
// the highest sequence, so a file replaced by content with an older
// modification time (cp -p, rsync -t, unzip, tar x) is loaded, and since
// the sequence comes from the clock rather than a counter, a lost state
// (a wiped data dir or bucket) does not make new versions lose to the
// ones already loaded.
//
// Deleted files are not propagated: the watcher publishes nothing for
// them and keeps their last version in the bucket, so a file restored with
// the same size and modification time is not loaded again (a file written
// anew has a new modification time, hence a new version).
//
// # Finding changes
//
// Run scans the source at start and then every Watcher.Rescan; when the
// source is a source.Notifier it also looks at each path the source
// reports as it changes, so a new file is published about Settle after it
// was last written (at once when the source reports it complete), without
// waiting for the rescan. Notifications may be
// lost (a full queue, a watch limit); rescans make up for them. Scan is the
// one-shot form for `filedge run --once`.
//
// # What is reported
//
// Any name the source holds travels: a path that is not valid UTF-8 is
// published escaped in FileDiscovered.Path and exactly in RawPath (see
// bus.FileDiscovered.SetPath). What the source leaves out though a user may
// take it for a file (source.SkipWalker: links, pipes, devices, unreadable
// folders) is reported with the reason. A settled version the source cannot
// read (source.ReadChecker: permission denied) is held back and reported as
// skipped; every later look at it (rescan, notification) checks it again
// without waiting to settle, and publishes it once it can be read. Versions
// already published are never checked again.
//
// Scan returns all of this in its Report, one entry per file. Run logs it
// as it changes: a skipped entry or a file's own problem when first met
// and when its reason changes, not at every rescan; an outage of the bus
// or of the state bucket, which every file meets at once, when it starts,
// at most every minute while it lasts and when it ends, with counts. While
// such an outage lasts, each look tries one file first and leaves the
// others waiting when that one fails too.
//
// One watcher per pipeline and source is the intended deployment. A second
// one sharing the bucket would publish the same versions again, which the
// bus dedup and the destinations' ledgers absorb, at the cost of the work.
package watcher
