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
// Two looks are required even for a file whose modification time is old,
// because a file server's clock may lag the watcher's.
//
// # State and exactly-once
//
// The versions already published live in a key-value bucket of the bus,
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
// was last written, without waiting for the rescan. Notifications may be
// lost (a full queue, a watch limit); rescans make up for them. Scan is the
// one-shot form for `filedge run --once`.
//
// One watcher per pipeline and source is the intended deployment. A second
// one sharing the bucket would publish the same versions again, which the
// bus dedup and the destinations' ledgers absorb, at the cost of the work.
package watcher
