package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// StateStore keeps the watcher's state: for each path, the last version it
// published. The nats bus keeps it in a JetStream key-value bucket, the
// kafka bus in a compacted topic (a bus.Table satisfies StateStore); the
// watcher is its only writer.
type StateStore interface {
	// Get returns the value of key, or an error wrapping bus.ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put sets the value of key once it is stored.
	Put(ctx context.Context, key string, value []byte) error
}

// StateTable is the name of the table that holds the state of pipeline's
// watcher.
func StateTable(pipeline string) string { return "filedge_watcher_" + pipeline }

// record is the value kept in the state table for one path: the last
// version published. In memory Path is the exact path; in the bucket a path
// that is not UTF-8 is stored as FileDiscovered stores it, escaped in Path
// and exact in RawPath.
type record struct {
	Path      string    `json:"path"`
	Version   string    `json:"version"`
	Size      int64     `json:"size"`
	Modified  time.Time `json:"modified"`
	Published time.Time `json:"published"`
	// Seq is the discovery sequence the version was published with
	// (bus.FileDiscovered.Seq); 0 in records written before sequences.
	Seq int64 `json:"seq,omitempty"`

	RawPath bus.Base64 `json:"raw_path,omitempty"`
}

// nextSeq returns the discovery sequence of a new version of a path,
// discovered at now, whose last published version is prev: the clock in
// nanoseconds, forced strictly above prev.Seq.
//
// Destinations keep the version with the highest sequence (newest means
// discovered last, whatever the modification times say). A counter kept in
// the state bucket would restart at 1 whenever the state is lost (a wiped
// data dir, a deleted bucket, a new bus) while the destinations keep their
// ledgers, and every later version of every path would then lose to the
// version loaded before, for good. The clock needs no state: a version
// discovered now is above every version discovered before, by this watcher
// or an earlier one, as long as the clock has not been set back across the
// loss. Forcing it above prev.Seq keeps each path's order while the state
// lives, even when the clock steps back (NTP) or stands still. Nanoseconds
// since 1970 fit an int64 until 2262.
func nextSeq(prev record, now time.Time) int64 {
	return max(now.UnixNano(), prev.Seq+1)
}

// stateKey is the bucket key of a path: the first 32 hex digits of its
// SHA-256 (paths may hold characters that keys may not).
func stateKey(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:16])
}

// load returns the record of path, or a zero record when it has none.
func (w *Watcher) load(ctx context.Context, path string) (record, error) {
	b, err := w.state.Get(ctx, stateKey(path))
	if errors.Is(err, bus.ErrNotFound) {
		return record{}, nil
	}
	if err != nil {
		return record{}, fmt.Errorf("watcher: read the state of %s from %s: %w", path, w.bucket, err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		// Publishing again is safe (the bus and the ledgers dedup), and
		// rewrites the record.
		w.log.Warn("unreadable state record; the file will be published again", "file", path, "err", err)
		return record{}, nil
	}
	if rec.RawPath != "" {
		rec.Path, rec.RawPath = string(rec.RawPath), ""
	}
	if rec.Path != path { // two paths sharing a key: as likely as a SHA-256 collision
		return record{}, nil
	}
	return rec, nil
}

// save records rec as its path's last published version.
func (w *Watcher) save(ctx context.Context, rec record) error {
	stored := rec
	if stored.Path = bus.EscapePath(rec.Path); stored.Path != rec.Path { // not UTF-8
		stored.RawPath = bus.Base64(rec.Path)
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("watcher: encode the state of %s: %w", rec.Path, err)
	}
	if err := w.state.Put(ctx, stateKey(rec.Path), b); err != nil {
		return fmt.Errorf("watcher: record %s (version %s) in %s: %w", rec.Path, rec.Version, w.bucket, err)
	}
	return nil
}
