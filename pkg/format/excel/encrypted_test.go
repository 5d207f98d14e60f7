package excel_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/excel"
	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// An encrypted .xlsx is a compound file as large as the workbook it holds,
// often beyond the cap on .xls files (min(max_spool_bytes, 256 MiB)). It
// is said to be encrypted, with what to do, not "compound file too large":
// its directory alone tells, whatever its size.
func TestAnEncryptedWorkbookOverTheCapIsSaidToBeEncrypted(t *testing.T) {
	file := fx.Compound(
		fx.Stream{Name: "EncryptionInfo", Data: make([]byte, 100)},
		fx.Stream{Name: "EncryptedPackage", Data: make([]byte, 64<<10)},
	)
	const spool = 16 << 10 // the file is four times over it
	r := newReader(t, format.Options{MaxSpoolBytes: spool})
	rec := &formattest.Recorder{}
	in := &format.Input{Path: "secret.xlsx", R: bytes.NewReader(file), ReaderAt: bytes.NewReader(file), Size: int64(len(file))}
	err := format.Guard(t.Context(), r, in, rec)
	var fe *format.FileError
	if !errors.As(err, &fe) || !errors.Is(err, excel.ErrEncrypted) {
		t.Fatalf("got %v, want a file error wrapping ErrEncrypted", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "secret.xlsx: ") || !strings.Contains(msg, "save it without a password") || strings.Contains(msg, "too large") {
		t.Fatalf("message %q: want the file, that it is encrypted and what to do", msg)
	}

	// A compound file as large that is not encrypted is still too large.
	big := fx.Compound(fx.Stream{Name: "Workbook", Data: make([]byte, 64<<10)})
	in = &format.Input{Path: "big.xls", R: bytes.NewReader(big), ReaderAt: bytes.NewReader(big), Size: int64(len(big))}
	if err := format.Guard(t.Context(), r, in, rec); !errors.Is(err, excel.ErrLimit) {
		t.Fatalf("a large workbook stream: got %v, want ErrLimit", err)
	}
}
