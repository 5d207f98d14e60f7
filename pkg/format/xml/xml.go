package xml

import (
	"bufio"
	"bytes"
	"context"
	stdxml "encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:       "xml",
		Label:      "XML",
		Extensions: []string{".xml"},
	}, New)
}

const (
	// dataColumn is the one column of an XML table.
	dataColumn = record.DataColumn
	// bufferSize is the size of the reader's read buffer.
	bufferSize = 64 << 10
	// checkEvery is how many tokens the reader reads between two looks at
	// its context.
	checkEvery = 4096
	// maxDepth caps the nesting of elements.
	maxDepth = 1000
)

// Reader reads XML. Make one with New.
type Reader struct {
	path []string // local names of the record path; empty for the whole document
	max  int64
}

// New returns a Reader for opts. opts.XMLRecordPath, when set, is a path
// of local element names from the root, separated by slashes
// ("catalog/book"; slashes at either end are ignored): each element at
// that path is a record. opts.MaxLineBytes caps one record (the whole
// document when there is no record path) and any one token; 0 means
// format.DefaultMaxLineBytes.
func New(opts format.Options) (format.Reader, error) {
	r := &Reader{max: int64(opts.MaxLineBytes)}
	switch {
	case r.max < 0:
		return nil, fmt.Errorf("xml: max line bytes %d is negative", r.max)
	case r.max == 0:
		r.max = format.DefaultMaxLineBytes
	}
	if p := strings.Trim(opts.XMLRecordPath, "/"); p != "" {
		r.path = strings.Split(p, "/")
		for _, name := range r.path {
			if name == "" || strings.ContainsAny(name, " \t\r\n<>&\"'=") {
				return nil, fmt.Errorf("xml: xml_record_path %q: want element names separated by slashes, such as catalog/book", opts.XMLRecordPath)
			}
		}
	}
	return r, nil
}

// Read reads in into table "", which has one column, _data, of type
// record.JSON. Without a record path, the document's root element is one
// row, {"<root name>": <value>}; with one, each element at the path is a
// row holding its value. A row's line is the line of its element's start
// tag. See the package documentation for the value of an element.
//
// A document that is not well-formed XML, declares entities in its
// DOCTYPE, nests elements deeper than 1000 levels, holds one token (a tag,
// a text, a comment) longer than the cap, or, without a record path, is
// longer than the cap, is a *format.FileError naming the line. With a
// record path, a record longer than the cap is a row error, and reading
// goes on after it. A file with no element, or none at the record path,
// writes no row and reports an issue.
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	br := bufio.NewReaderSize(in.R, 4096)
	if err := format.SkipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	c := newCapReader(sourceReader{br}, bufferSize, r.max)
	d := stdxml.NewDecoder(c)
	d.Strict = true
	// The text is UTF-8 already (the parser decoded it): a declared
	// encoding is not applied again.
	d.CharsetReader = func(_ string, input io.Reader) (io.Reader, error) { return input, nil }
	if err := w.Begin("", []format.Column{{Name: dataColumn, Type: record.JSON}}); err != nil {
		return err
	}
	s := &scan{file: in.Path, path: r.path, max: r.max, c: c, d: d, w: w, cells: make([]record.Cell, 1)}
	return s.run(ctx)
}

// sourceReader marks the errors of the reader under the decoder, so that
// they are told from the decoder's own.
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

// readError is a failure to read the file, not a fault of its bytes.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// scan reads the tokens of one document.
type scan struct {
	file string
	path []string
	max  int64
	c    *capReader
	d    *stdxml.Decoder
	w    format.Writer

	depth    int  // elements open
	matched  int  // of the open elements, how many from the root match the path
	rootDone bool // the root element is closed

	building bool  // a record is open: its elements go to t
	t        tree  // the record
	recLine  int64 // line of the record's start tag
	recStart int64 // input offset of the record's start tag
	recDepth int   // depth of the record's element
	tooLong  bool  // the record is over the cap: t is dropped
	records  int

	out   []byte
	cells []record.Cell
}

func (s *scan) run(ctx context.Context) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, _ := s.d.InputPos()
		offset := s.d.InputOffset()
		s.c.mark()
		tok, err := s.d.Token()
		if errors.Is(err, io.EOF) {
			return s.end()
		}
		if err != nil {
			return s.fail(err)
		}
		switch t := tok.(type) {
		case stdxml.StartElement:
			if err := s.start(t, int64(line), offset); err != nil {
				return err
			}
		case stdxml.EndElement:
			if err := s.close(); err != nil {
				return err
			}
		case stdxml.CharData:
			if s.building && !s.tooLong {
				s.t.text(t)
			} else if s.depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return s.fileError(s.line(), errors.New("text outside the root element"))
			}
		case stdxml.Directive:
			if declaresEntities(t) {
				return s.fileError(int64(line), errors.New("the DOCTYPE declares entities, which are never expanded: remove the declarations (or the DOCTYPE) to load this file"))
			}
		}
		if s.building && !s.tooLong && s.c.offset()-s.recStart > s.max {
			if len(s.path) == 0 {
				return s.fileError(s.recLine, fmt.Errorf("the document is longer than %d bytes (max line bytes): set xml_record_path to load its repeated elements one at a time", s.max))
			}
			s.tooLong = true
			s.t.reset()
		}
	}
}

// start opens element e, whose start tag is at line and offset.
func (s *scan) start(e stdxml.StartElement, line, offset int64) error {
	if s.depth == 0 && s.rootDone {
		return s.fileError(line, fmt.Errorf("a second root element <%s>: a document has one", e.Name.Local))
	}
	if s.depth == maxDepth {
		return s.fileError(line, fmt.Errorf("elements nested deeper than %d levels", maxDepth))
	}
	s.depth++
	if s.building {
		if !s.tooLong {
			s.t.start(e)
		}
		return nil
	}
	if len(s.path) == 0 {
		s.begin(e, line, offset)
		return nil
	}
	if s.matched == s.depth-1 && s.depth <= len(s.path) && e.Name.Local == s.path[s.depth-1] {
		s.matched++
		if s.matched == len(s.path) {
			s.begin(e, line, offset)
		}
	}
	return nil
}

// begin starts a record at element e.
func (s *scan) begin(e stdxml.StartElement, line, offset int64) {
	s.building, s.tooLong, s.recLine, s.recStart, s.recDepth = true, false, line, offset, s.depth
	s.records++
	s.t.reset()
	s.t.start(e)
}

// close closes the innermost open element, and writes the record it ends.
func (s *scan) close() error {
	ending := s.building && s.depth == s.recDepth
	if s.matched == s.depth {
		s.matched--
	}
	s.depth--
	if s.depth == 0 {
		s.rootDone = true
	}
	if s.building && !s.tooLong {
		s.t.end()
	}
	if !ending {
		return nil
	}
	s.building = false
	if s.tooLong {
		return s.w.RowError(&format.RowError{File: s.file, Line: s.recLine, Err: fmt.Errorf("record is longer than %d bytes (max line bytes)", s.max)})
	}
	s.out = s.t.appendRecord(s.out[:0], len(s.path) == 0)
	// The writer copies what it keeps: the cell may share s.out.
	s.cells[0] = record.Cell{Text: unsafe.String(unsafe.SliceData(s.out), len(s.out)), Kind: record.Document}
	return s.w.Row(s.recLine, s.cells)
}

// end checks the end of the document.
func (s *scan) end() error {
	switch {
	case s.records > 0:
	case len(s.path) == 0:
		s.w.Issue("the file holds no XML element")
	default:
		s.w.Issue(fmt.Sprintf("xml_record_path %q matched no element", strings.Join(s.path, "/")))
	}
	return nil
}

// fail turns an error of the decoder into the error Read returns.
func (s *scan) fail(err error) error {
	var re *readError
	var se *stdxml.SyntaxError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%s: line %d: %w", s.file, s.line(), re.err)
	case errors.Is(err, errTokenTooLong):
		return s.fileError(s.line(), fmt.Errorf("a token (a tag, a text, a comment) is longer than %d bytes (max line bytes)", s.max))
	case errors.As(err, &se):
		return s.fileError(int64(se.Line), fmt.Errorf("malformed XML: %s", se.Msg))
	}
	return s.fileError(s.line(), fmt.Errorf("malformed XML: %w", err))
}

// line returns the decoder's line.
func (s *scan) line() int64 {
	line, _ := s.d.InputPos()
	return int64(line)
}

func (s *scan) fileError(line int64, err error) error {
	return &format.FileError{File: s.file, Line: line, Err: err}
}

// declaresEntities reports whether a directive is a DOCTYPE that declares
// entities (general or parameter, internal or external).
func declaresEntities(d stdxml.Directive) bool {
	d = bytes.TrimSpace(d)
	return len(d) >= 7 && strings.EqualFold(string(d[:7]), "DOCTYPE") && bytes.Contains(d, []byte("<!ENTITY"))
}
