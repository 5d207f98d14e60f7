package bus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// Schema ids of the JSON messages; schemas/<id>.json describes each.
const (
	SchemaFileDiscovered = "filedge.file_discovered.v1"
	SchemaFileParsed     = "filedge.file_parsed.v1"
	SchemaFileCommitted  = "filedge.file_committed.v1"
	SchemaFileParseRetry = "filedge.file_parse_retry.v1"
)

// FileDiscovered announces one version of one file.
type FileDiscovered struct {
	Schema   string    `json:"schema"`
	Pipeline string    `json:"pipeline"`
	Version  string    `json:"version"`
	Source   string    `json:"source"` // e.g. local:/abs/folder
	Path     string    `json:"path"`   // relative to the source, '/'-separated; escaped when not UTF-8 (SetPath)
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	ETag     string    `json:"etag,omitempty"`
	// Discovered is when the watcher published the version.
	Discovered time.Time `json:"discovered"`
	// Seq is the version's discovery sequence within its path: of two
	// versions of one path, the one with the higher Seq was discovered
	// later and is the newer, whatever their modification times say (a
	// file copied with cp -p, rsync -t, unzip or tar x keeps an older one).
	// The watcher assigns it when it first publishes the version and
	// republishes a known version with the same Seq. Zero (absent) in
	// events published before sequences existed; destinations then fall
	// back to modification times (see destination.Newest).
	Seq int64 `json:"seq,omitempty"`

	// RawPath is the exact path when it is not valid UTF-8, "" otherwise;
	// SourcePath returns the path to open.
	RawPath Base64 `json:"raw_path,omitempty"`
}

// VersionID derives the id of a file version from its source, path, size,
// modification time and etag: 32 hex digits, stable across restarts.
func VersionID(source, path string, size int64, modified time.Time, etag string) string {
	h := sha256.New()
	for _, s := range []string{source, path, strconv.FormatInt(size, 10), strconv.FormatInt(modified.UnixNano(), 10), etag} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Outcome values of FileParsed.Status and FileCommitted.Status.
const (
	StatusOK         = "ok"         // parsed
	StatusFailed     = "failed"     // parsed: nothing to load; committed: nothing loaded
	StatusCommitted  = "committed"  // the destination committed the version's rows
	StatusDuplicate  = "duplicate"  // the destination already held this version: nothing changed
	StatusSuperseded = "superseded" // a newer version of the path was committed first, or the file changed while read
)

// FileParsed closes the batches of one file version: how many batches and
// rows each table got, the file's hash, and what was skipped or widened.
type FileParsed struct {
	Schema   string        `json:"schema"`
	Pipeline string        `json:"pipeline"`
	Version  string        `json:"version"`
	Path     string        `json:"path"`
	Size     int64         `json:"size"`
	Modified time.Time     `json:"modified"`
	SHA256   string        `json:"sha256,omitempty"`
	Format   string        `json:"format,omitempty"`
	Status   string        `json:"status"` // ok, failed or superseded
	Error    *Problem      `json:"error,omitempty"`
	Tables   []TableParsed `json:"tables"`
	// SkippedRows counts rows left out under on_error: skip; Problems lists
	// the first of them (and column issues) with their lines.
	SkippedRows int64     `json:"skipped_rows"`
	Problems    []Problem `json:"problems,omitempty"`
	Parsed      time.Time `json:"parsed"`
}

// TableParsed is one table of a parsed file.
type TableParsed struct {
	Name    string          `json:"name"`
	Columns []record.Column `json:"columns"` // final (widest) types
	Batches int             `json:"batches"`
	Rows    int64           `json:"rows"`
	Widened []Widening      `json:"widened,omitempty"`
}

// Widening reports a column whose type a later value widened.
type Widening struct {
	Column string      `json:"column"`
	From   record.Type `json:"from"`
	To     record.Type `json:"to"`
	Line   int64       `json:"line"` // the first line that did not fit
}

// Problem is a failure or issue with its place in the file.
type Problem struct {
	Message string `json:"message"`
	Table   string `json:"table,omitempty"`
	Line    int64  `json:"line,omitempty"`
	Column  string `json:"column,omitempty"`
	// File is the archive member the line is in, when it is not the
	// file's own path (a destination's row errors name it).
	File string `json:"file,omitempty"`
}

func (p Problem) String() string {
	s := p.Message
	if p.Column != "" {
		s = fmt.Sprintf("column %q: %s", p.Column, s)
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	if p.File != "" {
		s = fmt.Sprintf("%s: %s", p.File, s)
	}
	return s
}

// FileCommitted reports what one destination did with one file version.
type FileCommitted struct {
	Schema      string    `json:"schema"`
	Pipeline    string    `json:"pipeline"`
	Destination string    `json:"destination"`
	Version     string    `json:"version"`
	Path        string    `json:"path"`
	Status      string    `json:"status"` // committed, duplicate, superseded or failed
	Error       *Problem  `json:"error,omitempty"`
	Tables      []string  `json:"tables,omitempty"`
	Rows        int64     `json:"rows"`
	Committed   time.Time `json:"committed"`
	// Widened and Added are the commit's changes to existing tables:
	// columns widened ("table.column: integer → float") and columns added
	// ("table.column: decimal(12,2)"), as destination.Result has them.
	Widened []string `json:"widened,omitempty"`
	Added   []string `json:"added,omitempty"`
	// SkippedRows counts the rows the destination left out as row errors
	// under on_error: skip (write mode cdc: an unknown operation, a NULL
	// key or sequence, a tie); Problems lists the first of them.
	SkippedRows int64     `json:"skipped_rows,omitempty"`
	Problems    []Problem `json:"problems,omitempty"`
}

// FileParseRetry tells the readers of a version's batches that a parse
// attempt failed and that the parser tries again at RetryAt, so that a sink
// gives the file back until then instead of waiting for batches that do not
// come. The batches of the next attempt follow it, from sequence 0; a
// notice whose RetryAt has passed is stale and is read past. A failure for
// good is a failed FileParsed, never a notice.
type FileParseRetry struct {
	Schema   string `json:"schema"`
	Pipeline string `json:"pipeline"`
	Version  string `json:"version"`
	Path     string `json:"path"`
	// Attempt is the failed attempt: the delivery count of the version's
	// FileDiscovered, from 1.
	Attempt int    `json:"attempt"`
	Reason  string `json:"reason"`
	// RetryAt is when the parser gets the file again, by its clock.
	RetryAt time.Time `json:"retry_at"`
}

// Envelope builders: each returns the message that carries v, with its
// subject, key, dedup id and headers as docs/adr/0001 sets them.

// FileDiscoveredMessage wraps f.
func FileDiscoveredMessage(f *FileDiscovered) (*Message, error) {
	f.Schema = SchemaFileDiscovered
	return jsonMessage(Files, f.Pipeline, "", f.Path, f.Version, TypeFileDiscovered, f)
}

// FileParsedMessage wraps p for the Parsed topic.
func FileParsedMessage(p *FileParsed) (*Message, error) {
	p.Schema = SchemaFileParsed
	return jsonMessage(Parsed, p.Pipeline, "", p.Version, p.Version, TypeFileParsed, p)
}

// FileParsedTrailer wraps p as the last message of its version's batches.
func FileParsedTrailer(p *FileParsed) (*Message, error) {
	p.Schema = SchemaFileParsed
	return jsonMessage(Batches, p.Pipeline, p.Version, p.Version, p.Version+"/end", TypeFileParsed, p)
}

// FileParseRetryMessage wraps r for its version's batches, with an id of
// its own per attempt.
func FileParseRetryMessage(r *FileParseRetry) (*Message, error) {
	r.Schema = SchemaFileParseRetry
	return jsonMessage(Batches, r.Pipeline, r.Version, r.Version, fmt.Sprintf("%s/retry/%d", r.Version, r.Attempt), TypeFileParseRetry, r)
}

// FileCommittedMessage wraps c.
func FileCommittedMessage(c *FileCommitted) (*Message, error) {
	c.Schema = SchemaFileCommitted
	return jsonMessage(Committed, c.Pipeline, c.Destination, c.Version, c.Version+"/"+c.Destination, TypeFileCommitted, c)
}

// BatchMessage wraps one encoded record batch of a version's table.
func BatchMessage(pipeline, version, table string, seq int, data []byte) *Message {
	return &Message{
		Topic:    Batches,
		Pipeline: pipeline,
		Scope:    version,
		Key:      version,
		ID:       fmt.Sprintf("%s/%s/%d", version, table, seq),
		Header: map[string]string{
			HeaderType:  TypeBatch,
			HeaderTable: table,
			HeaderSeq:   strconv.Itoa(seq),
		},
		Data: data,
	}
}

func jsonMessage(t Topic, pipeline, scope, key, id, typ string, v any) (*Message, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("bus: encode %s: %w", typ, err)
	}
	return &Message{
		Topic: t, Pipeline: pipeline, Scope: scope, Key: key, ID: id,
		Header: map[string]string{HeaderType: typ},
		Data:   data,
	}, nil
}

// Decode decodes a JSON message's payload into v, checking its type header.
func Decode(m *Message, typ string, v any) error {
	if got := m.Header[HeaderType]; got != typ {
		return fmt.Errorf("bus: message %s is a %q, want %q", m.ID, got, typ)
	}
	if err := json.Unmarshal(m.Data, v); err != nil {
		return fmt.Errorf("bus: decode %s %s: %w", typ, m.ID, err)
	}
	return nil
}
