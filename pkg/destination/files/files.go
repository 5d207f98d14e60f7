package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/filedge/filedge/internal/flock"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format"
)

func init() {
	destination.Register(destination.Info{
		Type: "files", Label: "Files",
		// Each table's file is renamed into place on its own; the ledger
		// file comes last.
		Atomicity: destination.PerTable,
		Decode:    decode,
	})
}

// Dest is a folder of files that filedge loads: one file, or one folder of
// files, per table, in one format. It is safe for concurrent use; several
// Dests, in one process or several, may share one folder.
type Dest struct {
	name      string // the destination's name, for messages
	format    string
	l         layout
	log       *slog.Logger
	newWriter format.WriterFactory

	tmp  string   // this Dest's folder of temporary files
	inst *os.File // held locked while the Dest is open: see startInstance

	closeOnce sync.Once
	closeErr  error
}

var (
	_ destination.Destination = (*Dest)(nil)
	_ destination.Ledger      = (*Dest)(nil)
	_ destination.Pinger      = (*Dest)(nil)
)

// folderInfo is _filedge/folder.json: what every output of the folder is.
type folderInfo struct {
	Format string `json:"format"`
	Layout int    `json:"layout"`
}

// layoutVersion is the version of the folder's layout this package writes.
const layoutVersion = 1

// Open opens the destination folder cfg.Path (relative to env.Dir when it
// is not absolute), creating it when it is missing. It fails with
// destination.ErrInvalidConfig for settings no retry can fix: a format it
// does not write, a path that is not a folder, a folder that holds another
// format's outputs. It finishes what a commit interrupted by a crash left
// half done and removes the temporary files of Dests that are no longer
// open.
func Open(ctx context.Context, cfg Config, env destination.Env) (*Dest, error) {
	code := cfg.Format
	if code == "" {
		code = DefaultFormat
	}
	code = strings.ToLower(code)
	if err := checkFormat(code); err != nil {
		return nil, fmt.Errorf("destination %q: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	base := cfg.Path
	if base == "" {
		return nil, fmt.Errorf("destination %q: %w: no path", env.Name, destination.ErrInvalidConfig)
	}
	if !filepath.IsAbs(base) {
		base = filepath.Join(env.Dir, base)
	}
	base = filepath.Clean(base)
	newWriter, _ := format.LookupWriter(code)
	d := &Dest{name: env.Name, format: code, l: layout{base: base, ext: extensions[code]}, log: env.Logger, newWriter: newWriter}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if fi, err := os.Stat(base); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("destination %q: %w: %s: %w", env.Name, destination.ErrInvalidConfig, base, ErrNotAFolder)
	}
	for _, dir := range []string{ledgerDir, pathsDir, ownersDir, tablesDir, stagingDir, tmpDir, locksDir} {
		if err := mkdirs(d.l.meta(dir)); err != nil {
			return nil, fmt.Errorf("destination %q: create %s: %w", env.Name, base, err)
		}
	}
	if err := d.startInstance(); err != nil {
		return nil, fmt.Errorf("destination %q: %s: %w", env.Name, base, err)
	}
	if err := d.open(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("destination %q: %s: %w", env.Name, base, err)
	}
	return d, nil
}

// open checks the folder's format, then cleans up after Dests that died.
func (d *Dest) open(ctx context.Context) error {
	var info folderInfo
	found, err := readJSON(d.l.meta(folderFile), &info)
	switch {
	case err != nil:
		return err
	case !found:
		info = folderInfo{Format: d.format, Layout: layoutVersion}
		if err := writeJSON(d.tmp, d.l.meta(folderFile), info); err != nil {
			return err
		}
	case info.Format != d.format:
		return fmt.Errorf("%w: %w: it holds %s files, and this destination writes %s: give it another path", destination.ErrInvalidConfig, ErrOtherFormat, info.Format, d.format)
	case info.Layout > layoutVersion:
		return fmt.Errorf("%w: the folder was written by a newer filedge (layout %d; this one writes %d)", destination.ErrInvalidConfig, info.Layout, layoutVersion)
	}
	d.cleanInstances()
	return d.recover(ctx)
}

// startInstance makes this Dest's folder of temporary files,
// _filedge/tmp/<id>, and holds _filedge/tmp/<id>.lock locked until Close:
// the lock says the folder is in use, and the kernel drops it when the
// process dies, so that the next Dest to open removes what it left.
func (d *Dest) startInstance() error {
	dir := d.l.meta(tmpDir)
	for range 8 {
		id := make([]byte, 8)
		rand.Read(id)
		name := hex.EncodeToString(id)
		lockPath := filepath.Join(dir, name+".lock")
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		held, err := flock.TryLock(f)
		if err == nil && held {
			// A Dest cleaning up may have removed the file between its
			// creation and the lock: then the lock guards nothing.
			fi, ferr := f.Stat()
			pi, perr := os.Stat(lockPath)
			if ferr == nil && perr == nil && os.SameFile(fi, pi) {
				d.tmp, d.inst = filepath.Join(dir, name), f
				if err := os.Mkdir(d.tmp, 0o755); err != nil {
					d.release()
					return err
				}
				return nil
			}
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("lock %s: %w", lockPath, err)
		}
	}
	return errors.New("could not make a folder for temporary files")
}

// cleanInstances removes the temporary folders of the Dests that are no
// longer open: those whose lock it can take.
func (d *Dest) cleanInstances() {
	dir := d.l.meta(tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		d.log.Warn("cannot list temporary files", "folder", dir, "err", err)
		return
	}
	mine := filepath.Base(d.tmp)
	seen := map[string]bool{mine: true}
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), ".lock")
		if seen[id] {
			continue
		}
		seen[id] = true
		lockPath := filepath.Join(dir, id+".lock")
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			d.log.Warn("cannot check temporary files", "folder", dir, "err", err)
			continue
		}
		if held, err := flock.TryLock(f); err == nil && held {
			if err := os.RemoveAll(filepath.Join(dir, id)); err != nil {
				d.log.Warn("cannot remove the temporary files of a closed destination", "folder", filepath.Join(dir, id), "err", err)
			} else {
				os.Remove(lockPath)
				d.log.Info("removed the temporary files of a destination that is no longer open", "folder", filepath.Join(dir, id))
			}
		}
		f.Close()
	}
}

// recover finishes the changes to tables that commits interrupted by a
// crash left pending: each table with a staging folder, under its lock.
func (d *Dest) recover(ctx context.Context) error {
	entries, err := os.ReadDir(d.l.meta(stagingDir))
	if err != nil {
		return err
	}
	for _, e := range entries {
		var c catalog
		found, err := readJSON(d.l.meta(tablesDir, e.Name()+".json"), &c)
		if err != nil {
			return err
		}
		if !found {
			continue // a new table's first commit, alive or not: the table's next commit cleans up
		}
		if err := d.withTables(ctx, []string{c.Table}, func() error {
			cur, err := d.readCatalog(c.Table)
			if err != nil || cur == nil {
				return err
			}
			if cur.Pending != nil {
				d.log.Info("finishing a commit interrupted by a crash", "table", cur.Table)
			}
			return d.finish(cur)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Close releases the Dest's lock and removes its temporary files.
func (d *Dest) Close() error {
	d.closeOnce.Do(func() {
		if err := os.RemoveAll(d.tmp); err != nil {
			d.closeErr = fmt.Errorf("files %s: remove temporary files: %w", d.l.base, err)
		}
		d.release()
	})
	return d.closeErr
}

// release removes the instance's lock file and releases its lock.
func (d *Dest) release() {
	if d.inst != nil {
		os.Remove(d.inst.Name())
		d.inst.Close()
		d.inst = nil
	}
}

// Ping checks that the folder can be written: it creates and removes a
// file in it.
func (d *Dest) Ping(context.Context) error {
	f, err := os.CreateTemp(d.tmp, "ping-*")
	if err != nil {
		return fmt.Errorf("files %s: %w", d.l.base, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Lookup implements destination.Ledger.
func (d *Dest) Lookup(_ context.Context, pipeline, version string) (*destination.Result, bool, error) {
	e, found, err := d.lookup(pipeline, version)
	if err != nil {
		return nil, false, fmt.Errorf("files %s: look up version %s of pipeline %q: %w", d.l.base, version, pipeline, err)
	}
	if !found {
		return nil, false, nil
	}
	return e.result(), true, nil
}

// lockFiles takes the locks of the files at paths (sorted, without
// repeats, so that commits that take several never deadlock), waiting as
// long as ctx allows, and returns the function that releases them.
func lockFiles(ctx context.Context, paths []string) (func(), error) {
	var held []*os.File
	release := func() {
		for _, f := range held {
			f.Close()
		}
	}
	for i, p := range paths {
		if i > 0 && p == paths[i-1] {
			continue
		}
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			err = flock.Lock(ctx, f)
			if err != nil {
				f.Close()
			}
		}
		if err != nil {
			release()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		held = append(held, f)
	}
	return release, nil
}

// withTables runs fn holding the locks of tables.
func (d *Dest) withTables(ctx context.Context, tables []string, fn func() error) error {
	unlock, err := lockFiles(ctx, d.tableLocks(tables))
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// tableLocks returns the lock files of tables, sorted.
func (d *Dest) tableLocks(tables []string) []string {
	out := make([]string, 0, len(tables))
	for _, t := range tables {
		out = append(out, d.l.tableLock(t))
	}
	slices.Sort(out)
	return out
}
