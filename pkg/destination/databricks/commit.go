package databricks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// cleanupTimeout bounds the removal of a commit's staging table and
// files, which runs even when the commit's context is done.
const cleanupTimeout = time.Minute

// maxCopyFiles is the most files one COPY INTO names.
const maxCopyFiles = 1000

// Commit implements destination.Destination; the package documentation
// describes the protocol.
func (d *DB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	res, err := d.commit(ctx, f)
	if err != nil {
		return nil, d.commitError(f, err)
	}
	return res, nil
}

// commit is the state of one Commit.
type commit struct {
	d   *DB
	f   *destination.File
	now time.Time // the commit time: _filedge_synced and the ledger's committed
	// guarded: the version claimed its path (every merge mode but
	// AppendFile), and every statement that changes rows checks that the
	// claim is still its own.
	guarded bool
	attempt string // names this attempt's staging folder and tables
	local   string // local folder of the staged files
	remote  string // volume folder of the staged files

	order   []string
	rows    int64
	added   []string
	widened []string
}

func (d *DB) commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if res, found, err := d.Lookup(ctx, f.Pipeline, f.Version); err != nil || found {
		if err != nil {
			return nil, err
		}
		res.Outcome = destination.Duplicate
		return res, nil
	}
	c := &commit{d: d, f: f, now: time.Now().UTC().Truncate(time.Microsecond), guarded: f.Merge != destination.AppendFile}
	if c.guarded {
		n, err := d.newest(ctx, f)
		if err != nil {
			return nil, err
		}
		if n.Supersedes(f) {
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
		if held, err := d.claim(ctx, f, c.now); err != nil || !held {
			if err != nil {
				return nil, err
			}
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	c.attempt = hex.EncodeToString(id)
	c.remote = path.Join(d.cfg.Staging, c.attempt)
	local, err := os.MkdirTemp("", "filedge-databricks-")
	if err != nil {
		return nil, fmt.Errorf("staging folder: %w", err)
	}
	c.local = local
	defer os.RemoveAll(local)

	err = c.write(ctx)
	if err == nil && f.Owner != "" {
		err = c.emptyOwned(ctx)
	}
	if err != nil {
		if c.guarded && (destination.IsPermanent(err) || isPermanentSQL(err)) {
			c.release()
		}
		return nil, err
	}
	return c.record(ctx)
}

// write stages and merges the version's tables one by one, in the order
// of their batches.
func (c *commit) write(ctx context.Context) error {
	var st *stager
	for {
		table, rec, err := c.f.Batches.Next(ctx)
		if errors.Is(err, io.EOF) {
			if rec != nil {
				rec.Release()
			}
			break
		}
		if err != nil {
			if rec != nil {
				rec.Release()
			}
			return fmt.Errorf("read batches: %w", err)
		}
		if rec == nil {
			return fmt.Errorf("read batches: table %q: Next returned no batch and no error", table)
		}
		if st == nil || table != st.table {
			if st != nil {
				if err := c.load(ctx, st); err != nil {
					rec.Release()
					return err
				}
			}
			if st, err = c.begin(ctx, table); err != nil {
				rec.Release()
				return err
			}
		}
		err = st.add(rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("table %q: %w", table, err)
		}
	}
	if st != nil {
		return c.load(ctx, st)
	}
	return nil
}

// begin starts a table on its first batch: it claims the table in magic
// folder mode and reads its columns.
func (c *commit) begin(ctx context.Context, table string) (*stager, error) {
	if slices.Contains(c.order, table) {
		return nil, &destination.PermanentError{Err: fmt.Errorf("table %q: its batches come in two runs", table)}
	}
	if err := checkTableName(table); err != nil {
		return nil, err
	}
	c.order = append(c.order, table)
	if c.f.Owner != "" {
		if err := c.d.own(ctx, c.f, table, c.now); err != nil {
			return nil, err
		}
	}
	have, err := c.d.columns(ctx, table)
	if err != nil {
		return nil, err
	}
	return newStager(c.local, table, c.f.Path, have), nil
}

// load brings a staged table in: it creates or evolves the table, uploads
// the staged files, copies them into a staging table and merges that into
// the table.
func (c *commit) load(ctx context.Context, st *stager) error {
	cols, err := st.finish()
	if err != nil {
		return err
	}
	have, added, widened, err := c.d.evolve(ctx, st.table, cols)
	if err != nil {
		return err
	}
	c.added = append(c.added, added...)
	c.widened = append(c.widened, widened...)
	types := map[string]record.Type{}
	for _, h := range have {
		types[h.name] = h.typ
	}
	final := make([]column, len(cols))
	for i, col := range cols {
		final[i] = column{col.name, types[col.name]}
	}
	files, err := st.restage(final)
	if err != nil {
		return err
	}
	c.rows += st.rows
	if st.rows == 0 {
		return c.merge(ctx, st.table, final, "")
	}
	stage := c.d.table(stagePrefix + c.attempt + "_" + strconv.Itoa(len(c.order)))
	defer c.cleanup(stage, files)
	for _, sf := range files {
		if err := c.d.files.upload(ctx, c.remote+"/"+sf.sha+".parquet", sf.local); err != nil {
			return fmt.Errorf("table %q: upload: %w", st.table, err)
		}
	}
	if err := c.copy(ctx, stage, final, files); err != nil {
		return fmt.Errorf("table %q: %w", st.table, err)
	}
	return c.merge(ctx, st.table, final, stage)
}

// copy creates the staging table and loads the staged files into it with
// COPY INTO, which skips a file it already loaded: a COPY INTO that is run
// again (its answer lost) loads nothing twice. It checks that the staging
// table holds every staged row.
func (c *commit) copy(ctx context.Context, stage string, cols []column, files []stagedFile) error {
	defs := make([]string, 0, len(cols)+2)
	var want int64
	for i, col := range cols {
		defs = append(defs, columnDef(stageName(i), stagedType(col.typ)))
	}
	defs = append(defs, columnDef(record.LineColumn, record.Integer), columnDef(record.FileColumn, record.String))
	if err := c.d.exec(ctx, `CREATE TABLE `+stage+` (`+strings.Join(defs, ", ")+`) USING DELTA`); err != nil {
		return fmt.Errorf("create staging table: %w", err)
	}
	for chunk := range slices.Chunk(files, maxCopyFiles) {
		names := make([]string, len(chunk))
		for i, sf := range chunk {
			names[i] = literal(sf.sha + ".parquet")
			want += sf.rows
		}
		if err := c.d.exec(ctx, `COPY INTO `+stage+` FROM `+literal(c.remote)+` FILEFORMAT = PARQUET FILES = (`+strings.Join(names, ", ")+`)`); err != nil {
			return fmt.Errorf("copy into the staging table: %w", err)
		}
	}
	var got int64
	if err := c.d.query(ctx, `SELECT COUNT(*) FROM `+stage, nil, nil, func(scan func(...any) error) error { return scan(&got) }); err != nil {
		return fmt.Errorf("count the staging table: %w", err)
	}
	if got != want {
		return fmt.Errorf("the staging table holds %d rows after COPY INTO, want the %d staged", got, want)
	}
	return nil
}

// cleanup drops a table's staging table and removes its staged files,
// also when the commit's context is done. A failure leaves garbage, not a
// wrong commit: it is logged.
func (c *commit) cleanup(stage string, files []stagedFile) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := c.d.exec(ctx, `DROP TABLE IF EXISTS `+stage); err != nil {
		c.d.log.Warn("databricks: could not drop a staging table", "destination", c.d.name, "table", stage, "err", err)
	}
	for _, sf := range files {
		if err := c.d.files.remove(ctx, c.remote+"/"+sf.sha+".parquet"); err != nil {
			c.d.log.Warn("databricks: could not remove a staged file", "destination", c.d.name, "file", c.remote+"/"+sf.sha+".parquet", "err", err)
		}
	}
	if err := c.d.files.removeDir(ctx, c.remote); err != nil {
		c.d.log.Warn("databricks: could not remove a staging folder", "destination", c.d.name, "folder", c.remote, "err", err)
	}
}

// merge replaces the rows of table that the version replaces with the
// staged rows, in one MERGE: see the package documentation. stage is the
// staging table, or "" for a table of no rows.
func (c *commit) merge(ctx context.Context, table string, cols []column, stage string) error {
	target := c.d.table(table)
	file, line := quote(record.FileColumn), quote(record.LineColumn)
	hash, modified := quote(record.HashColumn), quote(record.ModifiedColumn)
	ofPath := func(a string) string {
		return "(" + a + "." + file + " = :path OR substr(" + a + "." + file + ", 1, :plen) = :prefix)"
	}
	// keep holds for the rows of this very version: a MERGE run again
	// (its answer lost, or the commit retried after a failure) leaves
	// them as they are and inserts nothing.
	keep := func(a string) string {
		return a + "." + hash + " <=> NULLIF(:hash, '') AND " + a + "." + modified + " <=> :modified AND " + ofPath(a)
	}
	guard := "TRUE"
	if c.guarded {
		guard = `EXISTS (SELECT 1 FROM ` + c.d.table(PathsTable) + ` AS p WHERE p.pipeline = :pipeline AND p.path = :path AND p.version = :version)`
	}
	replaced := ofPath("o")
	if c.f.WriteMode == destination.Truncate {
		replaced = "TRUE"
	}
	key := quote("__filedge_key")
	markers := `SELECT DISTINCT o.` + file + ` AS ` + key
	var source string
	if stage != "" {
		var sel, nulls strings.Builder
		for i := range cols {
			sel.WriteString(", s." + stageName(i))
			nulls.WriteString(", NULL")
		}
		source = `SELECT CAST(NULL AS STRING) AS ` + key + sel.String() + `, s.` + line + `, s.` + file + ` FROM ` + stage + ` AS s
			WHERE ` + guard + ` AND s.` + file + ` NOT IN (SELECT o.` + file + ` FROM ` + target + ` AS o WHERE ` + keep("o") + `)
			UNION ALL ` + markers + nulls.String() + `, NULL, NULL`
	} else {
		source = markers
	}
	source += ` FROM ` + target + ` AS o WHERE ` + guard + ` AND ` + replaced
	on := `t.` + file + ` = s.` + key + ` AND NOT (` + keep("t") + `)`
	if c.f.Merge == destination.AppendFile && c.f.WriteMode != destination.Truncate {
		on += ` AND t.` + hash + ` <=> NULLIF(:hash, '')`
	}
	stmt := `MERGE INTO ` + target + ` AS t USING (` + source + `) AS s ON ` + on + ` WHEN MATCHED THEN DELETE`
	if stage != "" {
		names := make([]string, 0, len(cols)+5)
		values := make([]string, 0, len(cols)+5)
		for i, col := range cols {
			names = append(names, quote(col.name))
			values = append(values, "s."+stageName(i))
		}
		names = append(names, file, line, modified, quote(record.SyncedColumn), hash)
		values = append(values, "s."+file, "s."+line, ":modified", ":synced", "NULLIF(:hash, '')")
		stmt += ` WHEN NOT MATCHED AND s.` + key + ` IS NULL THEN INSERT (` + strings.Join(names, ", ") + `) VALUES (` + strings.Join(values, ", ") + `)`
	}
	args := named("path", c.f.Path, "plen", int64(utf8.RuneCountInString(c.f.Path+destination.MemberSeparator)),
		"prefix", c.f.Path+destination.MemberSeparator, "hash", c.f.SHA256, "modified", c.modified())
	if c.guarded {
		args = append(args, named("pipeline", c.f.Pipeline, "version", c.f.Version)...)
	}
	if stage != "" {
		args = append(args, named("synced", c.now)...)
	}
	if _, err := c.d.merge(ctx, stmt, args...); err != nil {
		return fmt.Errorf("table %q: merge: %w", table, err)
	}
	return nil
}

// modified is the version's _modified, to the microsecond.
func (c *commit) modified() time.Time { return c.f.Modified.UTC().Truncate(time.Microsecond) }

// emptyOwned applies the write mode to each table the file's owner holds
// that this version has no batch for (magic folder mode): an archive
// member or a sheet the file no longer has keeps no rows of the path.
func (c *commit) emptyOwned(ctx context.Context) error {
	owned, err := c.d.owned(ctx, c.f)
	if err != nil {
		return err
	}
	for _, table := range owned {
		if slices.Contains(c.order, table) {
			continue
		}
		if err := c.merge(ctx, table, nil, ""); err != nil {
			return err
		}
	}
	return nil
}

// record writes the version's ledger row, last: the version is committed
// once it is there. It reports Duplicate when a concurrent commit of the
// same version wrote it first, and Superseded when a newer version of the
// path claimed it meanwhile (whose commit replaces the rows this one
// wrote).
func (c *commit) record(ctx context.Context) (*destination.Result, error) {
	tables, err := json.Marshal(append([]string{}, c.order...))
	if err != nil {
		return nil, fmt.Errorf("write ledger row: %w", err)
	}
	guard := ""
	if c.guarded {
		guard = ` WHERE EXISTS (SELECT 1 FROM ` + c.d.table(PathsTable) + ` AS p WHERE p.pipeline = :pipeline AND p.path = :path AND p.version = :version)`
	}
	stmt := `MERGE INTO ` + c.d.table(destination.LedgerTable) + ` AS t USING (SELECT
		:pipeline AS pipeline, :version AS version, :path AS path, :size AS size, :modified AS modified,
		NULLIF(:seq, 0) AS seq, NULLIF(:hash, '') AS sha256, :tables AS ` + "`tables`" + `, :rows AS ` + "`rows`" + `, :committed AS committed` + guard + `) AS s
		ON t.pipeline = s.pipeline AND t.version = s.version
		WHEN NOT MATCHED THEN INSERT (pipeline, version, path, size, modified, seq, sha256, ` + "`tables`, `rows`" + `, committed)
		VALUES (s.pipeline, s.version, s.path, s.size, s.modified, s.seq, s.sha256, s.` + "`tables`, s.`rows`" + `, s.committed)`
	m, err := c.d.merge(ctx, stmt, named("pipeline", c.f.Pipeline, "version", c.f.Version, "path", c.f.Path, "size", c.f.Size,
		"modified", c.modified(), "seq", max(c.f.Seq, 0), "hash", c.f.SHA256, "tables", string(tables), "rows", c.rows, "committed", c.now)...)
	if err != nil {
		return nil, fmt.Errorf("write ledger row: %w", err)
	}
	if m.inserted == 0 {
		if _, found, err := c.d.Lookup(ctx, c.f.Pipeline, c.f.Version); err != nil || found {
			if err != nil {
				return nil, err
			}
			return &destination.Result{Outcome: destination.Duplicate}, nil
		}
		return &destination.Result{Outcome: destination.Superseded}, nil
	}
	return &destination.Result{
		Outcome: destination.Committed, Tables: c.order, Rows: c.rows, Committed: c.now,
		Widened: c.widened, Added: c.added,
	}, nil
}

// release gives up the version's claim of its path after a failure that
// a retry cannot fix, so that an older version arriving later is not
// superseded by a version that never commits. A failure to release is
// logged: it costs only that.
func (c *commit) release() {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	err := c.d.exec(ctx, `DELETE FROM `+c.d.table(PathsTable)+` WHERE pipeline = :pipeline AND path = :path AND version = :version`,
		named("pipeline", c.f.Pipeline, "path", c.f.Path, "version", c.f.Version)...)
	if err != nil {
		c.d.log.Warn("databricks: could not release the claim of a failed version", "destination", c.d.name, "file", c.f.Path, "version", c.f.Version, "err", err)
	}
}
