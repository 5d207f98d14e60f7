package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/spf13/cobra"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/services/parser"
)

type previewFlags struct {
	json bool
	rows int
	mode string
	// settings holds the pipeline keys given as flags (--skip-header-lines
	// sets skip_header_lines), applied in order with config.Pipeline.Set.
	settings []setting
}

type setting struct{ key, value string }

// keyFlag is the flag of a pipeline key: dots and underscores become
// dashes (limits.max_ratio → --max-ratio, pgp.private_key → --pgp-private-key).
func keyFlag(key string) string {
	key = strings.TrimPrefix(key, "limits.")
	key = strings.TrimPrefix(key, "parser.")
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

func newPreviewCmd(g *globals) *cobra.Command {
	f := &previewFlags{}
	cmd := &cobra.Command{
		Use:   "preview FILE",
		Short: "Show the tables, columns, inferred types and first rows a file yields",
		Long: `Preview reads FILE as a pipeline would, with no bus and no database, and
prints each table it yields with its columns, their inferred types, the
first rows, and every problem. With -c it uses that pipeline's settings;
every setting of a pipeline is also a flag here (--delimiter, --file-type,
--skip-header-lines, --compression, --archive-pattern, --max-ratio ...),
and flags override the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := previewPipeline(g, cmd, f)
			if err != nil {
				return err
			}
			return preview(cmd.Context(), cmd.OutOrStdout(), p, args[0], f)
		},
	}
	parsesOnly(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print JSON instead of tables")
	fl.IntVar(&f.rows, "rows", 10, "rows to show per table")
	fl.StringVar(&f.mode, "mode", "", "merge or magic_folder (table naming)")
	seen := map[string]bool{}
	for _, key := range config.SettableKeys() {
		name := keyFlag(key)
		if seen[name] {
			continue // parser.max_line_bytes and limits.max_line_bytes are one setting
		}
		seen[name] = true
		fl.Func(name, "the pipeline key "+key+" (see docs/configuration.md)", func(v string) error {
			f.settings = append(f.settings, setting{key, v})
			return nil
		})
	}
	return cmd
}

// previewPipeline is the pipeline file's settings when -c names one, else
// the defaults, with the flags applied.
func previewPipeline(g *globals, cmd *cobra.Command, f *previewFlags) (*config.Pipeline, error) {
	var p *config.Pipeline
	if cmd.Flags().Changed("config") {
		var err error
		if p, err = g.load(cmd); err != nil {
			return nil, err
		}
	} else {
		p = config.Defaults()
		p.Name, p.Table = "preview", "preview"
	}
	for _, s := range f.settings {
		if err := p.Set(s.key, s.value); err != nil {
			return nil, fmt.Errorf("--%s: %w", keyFlag(s.key), err)
		}
	}
	switch f.mode {
	case "":
	case string(config.Merge), string(config.MagicFolder):
		p.Mode = config.Mode(f.mode)
	default:
		return nil, fmt.Errorf("--mode: want merge or magic_folder, got %q", f.mode)
	}
	return p, nil
}

type previewTable struct {
	Name    string          `json:"name"`
	Columns []record.Column `json:"columns"`
	Rows    int64           `json:"rows"`
	First   [][]any         `json:"first_rows"`
	Widened []bus.Widening  `json:"widened,omitempty"`
}

type previewResult struct {
	File        string         `json:"file"`
	Format      string         `json:"format"`
	Status      string         `json:"status"`
	Error       *bus.Problem   `json:"error,omitempty"`
	Tables      []previewTable `json:"tables"`
	SkippedRows int64          `json:"skipped_rows"`
	Problems    []bus.Problem  `json:"problems,omitempty"`
}

// preview parses file as the pipeline p would, with parser.Parse, and
// prints the tables it yields. The rows shown are those of the batches
// Parse emits, read as a destination reads them: each cell by its field's
// name, system columns (_line, and _file on an archive member's batches)
// aside, so that what preview shows is what a load writes.
func preview(ctx context.Context, out io.Writer, p *config.Pipeline, file string, f *previewFlags) error {
	first := map[string][]map[string]any{} // by table: rows, each by column name
	emit := func(_ context.Context, table string, rec arrow.RecordBatch) error {
		defer rec.Release()
		rows := first[table]
		for i := 0; i < int(rec.NumRows()) && len(rows) < f.rows; i++ {
			row := make(map[string]any, rec.NumCols())
			for c, fld := range rec.Schema().Fields() {
				if !record.IsSystem(fld.Name) {
					row[fld.Name] = rec.Column(c).GetOneForMarshal(i)
				}
			}
			rows = append(rows, row)
		}
		first[table] = rows
		return nil
	}
	sum, err := parser.Parse(ctx, p, parser.File{
		Path: filepath.ToSlash(file),
		Open: func(context.Context) (io.ReadCloser, error) { return os.Open(file) },
	}, emit, parser.Options{})
	if err != nil {
		return err
	}
	res := previewResult{File: file, Format: sum.Format, Status: sum.Status, Error: sum.Error, SkippedRows: sum.SkippedRows, Problems: sum.Problems, Tables: []previewTable{}}
	for _, t := range sum.Tables {
		pt := previewTable{Name: t.Name, Columns: t.Columns, Rows: t.Rows, Widened: t.Widened}
		for _, row := range first[t.Name] {
			cells := make([]any, len(t.Columns))
			for i, c := range t.Columns {
				cells[i] = row[c.Name] // nil for a column a later batch added
			}
			pt.First = append(pt.First, cells)
		}
		res.Tables = append(res.Tables, pt)
	}
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printPreview(out, &res)
	}
	if res.Status != bus.StatusOK {
		return &exitError{code: 1}
	}
	return nil
}

func printPreview(out io.Writer, r *previewResult) {
	fmt.Fprintf(out, "%s: %s, %s\n", r.File, r.Format, r.Status)
	if r.Error != nil {
		fmt.Fprintf(out, "error: %s\n", r.Error)
	}
	for _, t := range r.Tables {
		fmt.Fprintf(out, "\ntable %s: %d rows, %d columns\n", t.Name, t.Rows, len(t.Columns))
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		var names, types []string
		for _, c := range t.Columns {
			names = append(names, c.Name)
			types = append(types, c.Type.Stored().String())
		}
		fmt.Fprintln(tw, strings.Join(names, "\t"))
		fmt.Fprintln(tw, strings.Join(types, "\t"))
		for _, row := range t.First {
			cells := make([]string, len(row))
			for i, v := range row {
				if v == nil {
					cells[i] = "NULL"
				} else {
					cells[i] = fmt.Sprint(v)
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		tw.Flush()
		for _, w := range t.Widened {
			fmt.Fprintf(out, "widened %s from %s to %s at line %d\n", w.Column, w.From, w.To, w.Line)
		}
	}
	if r.SkippedRows > 0 {
		fmt.Fprintf(out, "\n%d rows skipped\n", r.SkippedRows)
	}
	for _, pr := range r.Problems {
		fmt.Fprintf(out, "problem: %s\n", pr)
	}
}
