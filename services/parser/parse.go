package parser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/decode"
	"github.com/filedge/filedge/pkg/format"
)

// MaxProblems caps the problems a FileParsed lists; the rest are counted.
const MaxProblems = 100

// File is one file to parse.
type File struct {
	// Path names the file: its extension picks the format (unless the
	// pipeline sets file_type) and it appears in every error.
	Path string
	// Open opens the file's bytes.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Emit receives each record batch of a file, in order, with its table. It
// owns rec and must release it. A non-nil error stops the parse.
type Emit func(ctx context.Context, table string, rec arrow.RecordBatch) error

// Options tune Parse.
type Options struct {
	// MaxBatchBytes caps the raw size of one batch (see record.BuilderOptions).
	MaxBatchBytes int
	Alloc         memory.Allocator
	Logger        *slog.Logger
}

// Parse reads f with the pipeline's format settings and hands its batches to
// emit. It returns the parse summary: Status, Format, Tables (columns with
// their final types, batch and row counts, widenings), SkippedRows and
// Problems. A file that cannot be loaded (bad data under on_error: fail, an
// unsupported format) returns a summary with Status failed and Error set, and
// a nil error: the failure is the file's, not the worker's. A non-nil error
// means a failure worth retrying (storage, bus), or ctx cancellation.
func Parse(ctx context.Context, p *config.Pipeline, f File, emit Emit, opts Options) (*bus.FileParsed, error) {
	sum := &bus.FileParsed{Path: f.Path, Status: bus.StatusOK, Tables: []bus.TableParsed{}}
	err := parse(ctx, p, f, emit, opts, sum)
	if err == nil {
		return sum, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if !isFileFault(err) {
		return nil, err
	}
	sum.Status = bus.StatusFailed
	sum.Error = problemOf(err)
	return sum, nil
}

func parse(ctx context.Context, p *config.Pipeline, f File, emit Emit, opts Options, sum *bus.FileParsed) error {
	w := newWriter(ctx, p, emit, opts, sum)
	err := decode.Walk(ctx, f.Path, f.Open, decodeOptions(p, w), func(ctx context.Context, leaf *decode.Leaf) error {
		member := leaf.Path != f.Path
		info, factory, err := formatFor(p, leaf.Name)
		if err != nil {
			if member {
				w.startLeaf(leaf.Path, leaf.Name, true)
				w.Issue("skipped: not a supported file")
				return nil
			}
			return err
		}
		if sum.Format == "" {
			sum.Format = info.Code
		}
		reader, err := factory(formatOptions(p))
		if err != nil {
			return &format.FileError{File: leaf.Path, Err: err}
		}
		in := &format.Input{Path: leaf.Path, R: leaf.R}
		var text *decode.TextReader
		if info.Binary {
			in.ReaderAt, in.Size = leaf.ReaderAt, leaf.Size
		} else if text, err = decode.Text(leaf.R, p.Format.Encoding); err != nil {
			return &format.FileError{File: leaf.Path, Err: err}
		} else {
			in.R = textInput{text, leaf.Path}
		}
		w.startLeaf(leaf.Path, leaf.Name, member)
		if err := format.Guard(ctx, reader, in, w); err != nil {
			return err
		}
		if text != nil {
			if d, ok := text.Detected(); ok {
				w.Issue(detectedIssue(d))
			}
		}
		return w.endLeaf()
	})
	if err != nil {
		return err
	}
	return w.finish()
}

// textInput is a leaf's text decoded to UTF-8 (decode.Text), whose
// *decode.EncodingError, a byte that is not valid in the text's encoding,
// fails the file whole at its line, whatever the reader makes of it.
type textInput struct {
	*decode.TextReader
	path string
}

func (t textInput) Read(p []byte) (int, error) {
	n, err := t.TextReader.Read(p)
	var ee *decode.EncodingError
	if errors.As(err, &ee) {
		err = &format.FileError{File: t.path, Line: ee.Line, Err: ee}
	}
	return n, err
}

// detectedIssue says which encoding encoding: auto read a file's text in.
func detectedIssue(d decode.Detection) string {
	how := fmt.Sprintf("from its text at line %d on", d.Line)
	if d.Wide {
		how = "from the zero bytes beside its characters"
	} else if d.Language != "" {
		how += ", which reads as " + d.Language
	}
	return fmt.Sprintf("encoding: auto read the file as %s (%s; confidence %.2f): set encoding: %s to be sure", d.Encoding, how, d.Confidence, d.Encoding)
}

// formatOptions maps the pipeline's format settings onto format.Options.
func formatOptions(p *config.Pipeline) format.Options {
	return format.Options{
		Delimiter:       p.Format.Delimiter,
		QuoteChar:       p.Format.QuoteChar,
		EscapeChar:      p.Format.EscapeChar,
		NullSequence:    p.Format.NullSequence,
		SkipHeaderLines: p.Format.SkipHeaderLines,
		SkipFooterLines: p.Format.SkipFooterLines,
		Headerless:      p.Format.Headerless,
		LineSeparator:   p.Format.LineSeparator,
		JSONDelivery:    p.Format.JSONDelivery,
		XMLRecordPath:   p.Format.XMLRecordPath,
		MaxLineBytes:    p.Limits.MaxLineBytes,
		MaxFieldBytes:   p.Limits.MaxFieldBytes,
		MaxSpoolBytes:   p.Limits.MaxSpoolBytes,
	}
}

// decodeOptions maps the pipeline's layer settings onto decode.Options;
// skipped archive members are reported as issues of the file.
func decodeOptions(p *config.Pipeline, w *writer) decode.Options {
	o := decode.Options{
		Compression: p.Layers.Compression,
		Limits: decode.Limits{
			MaxBytes:      p.Limits.MaxDecompressedBytes,
			MaxRatio:      p.Limits.MaxRatio,
			MaxMembers:    p.Limits.MaxMembers,
			MaxSpoolBytes: p.Limits.MaxSpoolBytes,
		},
		Skipped: func(path, reason string) {
			w.problem(bus.Problem{Message: fmt.Sprintf("%s: skipped: %s", path, reason)})
		},
	}
	if p.Layers.ArchivePattern != nil {
		o.ArchivePattern = p.Layers.ArchivePattern.Regexp
	}
	if k := p.Layers.PGP; k != nil {
		o.PGP = &decode.PGP{PrivateKey: k.PrivateKey.Reveal(), Passphrase: k.Passphrase.Reveal()}
		for _, s := range k.TrustedSigners {
			o.PGP.TrustedSigners = append(o.PGP.TrustedSigners, s.Reveal())
		}
	}
	return o
}

// formatFor picks the format of the file at p: the pipeline's file_type, or
// the file's extension.
func formatFor(p *config.Pipeline, file string) (format.Info, format.Factory, error) {
	if code := p.Format.FileType; code != "" {
		info, f, ok := format.Lookup(code)
		if !ok {
			return info, nil, &format.FileError{File: file, Err: fmt.Errorf("%w: file_type %q (have %s)", format.ErrNotSupported, code, formatCodes())}
		}
		return info, f, nil
	}
	info, f, ok := format.ForPath(file)
	if !ok {
		return info, nil, &format.FileError{File: file, Err: fmt.Errorf("%w: no format reads %q files; set file_type (have %s)", format.ErrNotSupported, path.Ext(file), formatCodes())}
	}
	return info, f, nil
}

func formatCodes() string {
	var codes []string
	for _, i := range format.Formats() {
		codes = append(codes, i.Code)
	}
	return strings.Join(codes, ", ")
}

// isFileFault reports whether err is the file's fault: retrying the same
// bytes fails the same way.
func isFileFault(err error) bool {
	var rowLimit *tooLargeError
	return format.IsPermanent(err) || decode.IsPermanent(err) || errors.As(err, &rowLimit)
}

func problemOf(err error) *bus.Problem {
	pr := &bus.Problem{Message: err.Error()}
	var re *format.RowError
	var fe *format.FileError
	var tl *tooLargeError
	var ee *decode.EncodingError
	switch {
	case errors.As(err, &ee):
		// However a reader wrapped it, the text layer knows the line.
		pr.Message, pr.Line = ee.Reason(), ee.Line
	case errors.As(err, &re):
		pr.Message, pr.Table, pr.Line, pr.Column = re.Err.Error(), re.Table, re.Line, re.Column
	case errors.As(err, &fe):
		pr.Message, pr.Line = fe.Err.Error(), fe.Line
	case errors.As(err, &tl):
		pr.Message, pr.Line = tl.reason(), tl.line
	}
	return pr
}
