package files

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// Commit implements destination.Destination. A commit
//
//  1. looks the version up in the ledger: a version there is Duplicate,
//     and no batch is read;
//  2. reads every batch into a spool on disk, table by table, without a
//     lock (the parser may still be at work);
//  3. takes the path's lock, looks the version up again (this look-up
//     decides Duplicate), and unless the merge mode keeps every version
//     applies newest-wins to the versions the path's index holds;
//  4. writes each table's output from the spool to a temporary file, in
//     the table's columns widened to hold the file's (the tables' locks
//     are not held, so that commits into one table encode at once);
//  5. takes the tables' locks (the file's tables and, in magic folder
//     mode, the others its owner holds), checks ownership, writes an
//     output again if a commit changed its table's columns meanwhile, and
//     rewrites the table's other outputs when this commit changes them;
//  6. records the version and its outputs in the path's index;
//  7. puts each table's files in place, each by one rename (several, with
//     their removals, recorded first in the table's catalog, so that a
//     commit cut short by a crash is finished by the next one to lock the
//     table);
//  8. writes the version's ledger file: the commit.
//
// Every file is synced before it is renamed into place, and every folder
// after a rename into it. Until step 6 nothing is visible; a failure or a
// cancellation before it leaves nothing behind, and from it on the commit
// runs to its end.
func (d *Dest) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if f == nil {
		return nil, &destination.PermanentError{Err: fmt.Errorf("files %s: commit of a nil file", d.l.base)}
	}
	res, err := d.commit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("files %s: commit %s (version %s): %w", d.l.base, f.Path, f.Version, err)
	}
	return res, nil
}

func (d *Dest) commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	if e, found, err := d.lookup(f.Pipeline, f.Version); err != nil || found {
		return duplicate(e, err)
	}
	sp, err := readSpool(ctx, d.tmp, f)
	if err != nil {
		return nil, err
	}
	defer sp.remove()
	step("spooled")
	c := &commit{d: d, f: f, sp: sp, everyVersion: f.Merge == destination.AppendFile}
	c.whole = f.WriteMode == destination.Truncate || f.Owner != "" && !c.everyVersion
	return c.run(ctx)
}

// duplicate is the outcome of a look-up that found the version (e) or
// failed (err).
func duplicate(e *entry, err error) (*destination.Result, error) {
	if err != nil {
		return nil, err
	}
	res := e.result()
	res.Outcome = destination.Duplicate
	return res, nil
}

// testHook, set by tests, is called at named steps of a commit: the tests
// that kill a process at each step set it.
var testHook func(step string)

// step calls testHook.
func step(name string) {
	if testHook != nil {
		testHook(name)
	}
}

// commit is one Commit in progress.
type commit struct {
	d  *Dest
	f  *destination.File
	sp *spool
	// everyVersion: the merge mode keeps every version (AppendFile).
	everyVersion bool
	// whole: each table's output is the table's whole file (truncate,
	// and magic folder mode unless every version is kept).
	whole bool

	now    time.Time
	st     stamp
	idx    *pathIndex
	tables []*tableCommit // the file's tables, in order
	owned  []string       // the owner's other tables (magic folder mode)
}

// tableCommit is one table of a commit.
type tableCommit struct {
	t   *spooled
	cat *catalog // the table's catalog, under its lock; nil for a new table
	// seen are the table's columns the output was written for, and
	// existed whether the table existed then.
	seen    []column
	existed bool
	shape   *shape
	written string // the output, in the Dest's temporary folder
	target  string // where it goes, relative to the destination folder
	removes []string
	// rewritten are the table's other outputs written anew in its new
	// columns: temporary file by output.
	rewritten map[string]string
	took      time.Duration // to write them
	widened   []string
	added     []string
}

func (c *commit) run(ctx context.Context) (*destination.Result, error) {
	f, d := c.f, c.d
	keys := []string{d.l.pathLock(f.Pipeline, f.Path)}
	if f.Owner != "" && f.Owner != f.Path {
		keys = append(keys, d.l.pathLock(f.Pipeline, f.Owner))
	}
	slices.Sort(keys)
	unlock, err := lockFiles(ctx, keys)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if e, found, err := d.lookup(f.Pipeline, f.Version); err != nil || found {
		return duplicate(e, err)
	}
	if c.idx, err = d.readPathIndex(f.Pipeline, f.Path); err != nil {
		return nil, err
	}
	if !c.everyVersion {
		n, err := d.newest(f.Pipeline, c.idx)
		if err != nil {
			return nil, err
		}
		if n.Supersedes(f) {
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
	}
	c.now = time.Now().UTC().Truncate(time.Microsecond)
	c.st = stamp{
		path:     f.Path,
		modified: arrow.Timestamp(f.Modified.UTC().Truncate(time.Microsecond).UnixMicro()),
		synced:   arrow.Timestamp(c.now.UnixMicro()),
		sha:      f.SHA256,
	}
	defer c.removeTemporary()

	// Write each table's output for its columns as they are now.
	for _, t := range c.sp.tables {
		tc := &tableCommit{t: t}
		c.tables = append(c.tables, tc)
		cat, err := d.readCatalog(t.name)
		if err != nil {
			return nil, err
		}
		if err := c.checkOwner(cat); err != nil {
			return nil, err
		}
		if err := c.write(ctx, tc, cat); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(c.tables))
	for _, tc := range c.tables {
		names = append(names, tc.t.name)
	}
	if f.Owner != "" {
		owned, err := d.ownedTables(f.Pipeline, f.Owner)
		if err != nil {
			return nil, err
		}
		for _, t := range owned {
			if !slices.Contains(names, t) {
				c.owned = append(c.owned, t)
			}
		}
	}
	unlockTables, err := lockFiles(ctx, d.tableLocks(append(slices.Clone(names), c.owned...)))
	if err != nil {
		return nil, err
	}
	defer unlockTables()
	for _, tc := range c.tables {
		if err := c.prepare(ctx, tc); err != nil {
			return nil, err
		}
	}

	// From here on the commit changes what readers see: it runs to its
	// end whatever ctx says.
	if err := c.record(); err != nil {
		return nil, err
	}
	res := &destination.Result{Outcome: destination.Committed, Tables: names, Rows: c.sp.rows, Committed: c.now}
	if res.Tables == nil {
		res.Tables = []string{}
	}
	for _, tc := range c.tables {
		files := len(tc.rewritten)
		if err := c.install(tc); err != nil {
			return nil, err
		}
		res.Widened = append(res.Widened, tc.widened...)
		res.Added = append(res.Added, tc.added...)
		if files > 0 {
			// Like a database's table rebuild, worth a line: it may take long.
			d.log.Info("wrote the table's other files anew in its new columns", "destination", d.name, "table", tc.t.name,
				"files", files, "widened", tc.widened, "added", tc.added, "took", tc.took)
		}
	}
	for _, t := range c.owned {
		if err := c.empty(t); err != nil {
			return nil, err
		}
	}
	step("installed")
	e := entry{
		Pipeline: f.Pipeline, Version: f.Version, Path: f.Path, Size: f.Size,
		Modified: f.Modified.UTC().Truncate(time.Microsecond), SHA256: f.SHA256,
		Tables: res.Tables, Rows: res.Rows, Committed: c.now,
	}
	if f.Seq > 0 {
		e.Seq = f.Seq
	}
	if err := writeJSON(d.tmp, d.l.ledgerFile(f.Pipeline, f.Version), e); err != nil {
		return nil, err
	}
	return res, nil
}

// checkOwner rejects the file, in magic folder mode, when a table it
// writes belongs to another file.
func (c *commit) checkOwner(cat *catalog) error {
	if c.f.Owner == "" || cat == nil || cat.Owner == "" || cat.Owner == c.f.Owner {
		return nil
	}
	return &destination.PermanentError{Err: fmt.Errorf("table %q: %w (owned by %s)", cat.Table, destination.ErrTableOwned, cat.Owner)}
}

// write writes tc's output for the columns of cat (nil: a new table).
func (c *commit) write(ctx context.Context, tc *tableCommit, cat *catalog) error {
	if tc.written != "" {
		os.Remove(tc.written)
		tc.written = ""
	}
	var have []column
	if cat != nil {
		have = cat.Columns
	}
	cols, widened, added := merge(tc.t.name, have, cat != nil, tc.t.cols)
	tc.seen, tc.existed, tc.shape, tc.widened, tc.added = have, cat != nil, newShape(cols), widened, added
	path, err := c.d.writeSpooled(ctx, c.d.tmp, tc.t, tc.shape, &c.st)
	if err != nil {
		return err
	}
	tc.written = path
	return nil
}

// merge returns the columns of a table that had have (exists false: a new
// table) once it holds a file's columns cols: have, each widened to hold
// the file's values, then the file's new columns. For an existing table
// it reports the widenings, as "table.column: integer → float", and the
// columns added, as "table.column: decimal(12,2)".
func merge(table string, have []column, exists bool, cols []column) (out []column, widened, added []string) {
	out = slices.Clone(have)
	for _, c := range cols {
		i := indexOf(out, c.Name)
		if i < 0 {
			out = append(out, column{Name: c.Name, Type: c.Type.Stored()})
			if exists {
				added = append(added, fmt.Sprintf("%s.%s: %v", table, c.Name, c.Type.Stored()))
			}
			continue
		}
		if t := record.Widen(out[i].Type, c.Type); t != out[i].Type {
			if exists {
				widened = append(widened, fmt.Sprintf("%s.%s: %v → %v", table, c.Name, out[i].Type, t))
			}
			out[i].Type = t
		}
	}
	return out, widened, added
}

// prepare readies tc under its table's lock: it finishes what an earlier
// commit left pending, checks ownership again, writes the output again if
// the table's columns changed since it was written, works out what the
// output replaces, and rewrites the table's other outputs if the commit
// changes its columns.
func (c *commit) prepare(ctx context.Context, tc *tableCommit) error {
	d, name := c.d, tc.t.name
	cat, err := d.readCatalog(name)
	if err != nil {
		return err
	}
	if cat != nil {
		if err := d.finish(cat); err != nil {
			return err
		}
	} else if err := os.RemoveAll(d.l.staging(name)); err != nil {
		return err
	}
	if err := c.checkOwner(cat); err != nil {
		return err
	}
	var have []column
	if cat != nil {
		have = cat.Columns
	}
	if !slices.Equal(have, tc.seen) || (cat != nil) != tc.existed {
		if err := c.write(ctx, tc, cat); err != nil {
			return err
		}
	}
	tc.cat = cat
	if c.whole {
		tc.target = d.l.wholeFile(name)
	} else {
		tc.target = d.l.output(name, c.f.Path, c.f.SHA256, c.everyVersion)
	}
	if tc.removes, err = c.replaced(cat, name, tc.target); err != nil {
		return err
	}
	if cat == nil || slices.Equal(cat.Columns, tc.shape.cols) {
		return nil
	}
	outs, err := d.outputs(name)
	if err != nil {
		return err
	}
	old := newShape(cat.Columns)
	tc.rewritten = map[string]string{}
	start := time.Now()
	defer func() { tc.took = time.Since(start) }()
	for _, rel := range outs {
		if rel == tc.target || slices.Contains(tc.removes, rel) {
			continue
		}
		path, err := d.rewrite(ctx, d.tmp, name, rel, old, tc.shape)
		if err != nil {
			return err
		}
		tc.rewritten[rel] = path
	}
	return nil
}

// replaced lists the outputs of table that hold rows the commit replaces,
// besides its own target (which its output replaces by its rename): every
// other output (truncate); or those of the file's path (upsert_file), or of
// its path and content (append_file), in the table's folder and its whole
// file.
func (c *commit) replaced(cat *catalog, table, target string) ([]string, error) {
	var cands []string
	if c.f.WriteMode == destination.Truncate {
		all, err := c.d.outputs(table)
		if err != nil {
			return nil, err
		}
		cands = all
	} else {
		if cat != nil && cat.Whole != nil && cat.Whole.Path == c.f.Path && (!c.everyVersion || cat.Whole.SHA256 == c.f.SHA256) {
			cands = append(cands, c.d.l.wholeFile(table))
		}
		cands = append(cands, c.d.l.output(table, c.f.Path, c.f.SHA256, c.everyVersion))
		for _, o := range c.idx.Outputs[table] {
			if !c.everyVersion || o.SHA256 == c.f.SHA256 {
				cands = append(cands, o.File)
			}
		}
	}
	var out []string
	for _, rel := range cands {
		if rel == target || slices.Contains(out, rel) {
			continue
		}
		if _, err := os.Stat(c.d.l.abs(rel)); err == nil {
			out = append(out, rel)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return out, nil
}

// record writes the path's index with the version and the outputs the
// commit puts in place, and, in magic folder mode, the owner's index with
// the tables it claims, before any table changes.
func (c *commit) record() error {
	d, f := c.d, c.f
	if err := d.addVersion(c.idx, f); err != nil {
		return err
	}
	var claimed []string
	for _, tc := range c.tables {
		var outs []output
		if !c.whole {
			outs = []output{{File: tc.target, SHA256: f.SHA256}}
		}
		if err := d.setOutputs(c.idx, tc.t.name, outs); err != nil {
			return err
		}
		if f.Owner != "" && (tc.cat == nil || tc.cat.Owner == "") {
			claimed = append(claimed, tc.t.name)
		}
	}
	if err := writeJSON(d.tmp, d.l.pathIndex(f.Pipeline, f.Path), c.idx); err != nil {
		return err
	}
	if len(claimed) == 0 {
		return nil
	}
	owned, err := d.ownedTables(f.Pipeline, f.Owner)
	if err != nil {
		return err
	}
	for _, t := range claimed {
		if !slices.Contains(owned, t) {
			owned = append(owned, t)
		}
	}
	slices.Sort(owned)
	return writeJSON(d.tmp, d.l.ownerIndex(f.Pipeline, f.Owner), ownerIndex{Owner: f.Owner, Tables: owned})
}

// install puts tc's files in place and updates its table's catalog: by one
// rename when that is all the commit changes, else through the catalog's
// pending changes.
func (c *commit) install(tc *tableCommit) error {
	d, f, name := c.d, c.f, tc.t.name
	next := &catalog{Table: name, Pipeline: f.Pipeline, Created: c.now, Owner: f.Owner, Columns: tc.shape.cols}
	if tc.cat != nil {
		next.Pipeline, next.Created = tc.cat.Pipeline, tc.cat.Created
		if tc.cat.Owner != "" {
			next.Owner = tc.cat.Owner
		}
		if w := tc.cat.Whole; w != nil && !slices.Contains(tc.removes, d.l.wholeFile(name)) {
			next.Whole = w
		}
	}
	if c.whole {
		next.Whole = &source{Path: f.Path, SHA256: f.SHA256}
	}
	if tc.cat != nil && len(tc.removes) == 0 && len(tc.rewritten) == 0 && sameCatalog(tc.cat, next) {
		from := tc.written
		tc.written = ""
		return c.rename(from, tc.target)
	}
	staging := d.l.staging(name)
	if err := mkdirs(staging); err != nil {
		return err
	}
	p := &pending{Removes: tc.removes}
	stage := func(from, target string) error {
		staged := fmt.Sprintf("%d%s", len(p.Installs), d.l.ext)
		if err := os.Rename(from, filepath.Join(staging, staged)); err != nil {
			return err
		}
		p.Installs = append(p.Installs, install{Staged: staged, Target: target})
		return nil
	}
	if err := stage(tc.written, tc.target); err != nil {
		return err
	}
	tc.written = ""
	for _, rel := range slices.Sorted(maps.Keys(tc.rewritten)) {
		if err := stage(tc.rewritten[rel], rel); err != nil {
			return err
		}
		delete(tc.rewritten, rel)
	}
	if err := syncDir(staging); err != nil {
		return err
	}
	next.Pending = p
	if err := d.writeCatalog(next); err != nil {
		return err
	}
	step("staged")
	return d.finish(next)
}

// sameCatalog reports whether two catalogs of a table say the same.
func sameCatalog(a, b *catalog) bool {
	return a.Owner == b.Owner && slices.Equal(a.Columns, b.Columns) &&
		(a.Whole == nil) == (b.Whole == nil) && (a.Whole == nil || *a.Whole == *b.Whole)
}

// rename moves the file at from into place at target (relative to the
// destination folder) and syncs its folder.
func (c *commit) rename(from, target string) error {
	dst := c.d.l.abs(target)
	if err := mkdirs(filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(from, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// empty applies the commit's write mode to a table its owner holds and
// this version has no rows for (a sheet or an archive member it no longer
// has), as to a table of no rows.
func (c *commit) empty(table string) error {
	d := c.d
	cat, err := d.readCatalog(table)
	if err != nil || cat == nil || cat.Owner != c.f.Owner {
		return err
	}
	if err := d.finish(cat); err != nil {
		return err
	}
	removes, err := c.replaced(cat, table, "")
	if err != nil || len(removes) == 0 {
		return err
	}
	if slices.Contains(removes, d.l.wholeFile(table)) {
		cat.Whole = nil
	}
	cat.Pending = &pending{Removes: removes}
	if err := d.writeCatalog(cat); err != nil {
		return err
	}
	return d.finish(cat)
}

// removeTemporary removes the files the commit wrote and did not put in
// place.
func (c *commit) removeTemporary() {
	for _, tc := range c.tables {
		if tc.written != "" {
			os.Remove(tc.written)
		}
		for _, path := range tc.rewritten {
			os.Remove(path)
		}
	}
}
