package excel

import "errors"

// Errors a workbook fails with, wrapped in a *format.FileError naming the
// file.
var (
	// ErrNotWorkbook is a file that is not an Excel workbook this package
	// reads (an HTML page saved as .xls, an .ods file).
	ErrNotWorkbook = errors.New("not an Excel workbook")
	// ErrEncrypted is a workbook protected by a password.
	ErrEncrypted = errors.New("workbook is encrypted (password-protected): filedge cannot read encrypted workbooks; save it without a password")
	// ErrBinaryWorkbook is an Excel binary workbook (.xlsb): a zip like
	// .xlsx, whose parts are binary records rather than XML.
	ErrBinaryWorkbook = errors.New("an Excel binary workbook (.xlsb), which filedge does not read: save it as .xlsx (Excel: File > Save As > Excel Workbook)")
	// ErrNothingToLoad is a workbook of which no worksheet can be loaded:
	// it has none, or every one is empty or has no header row.
	ErrNothingToLoad = errors.New("nothing to load")
	// ErrLimit is a workbook beyond a size limit: more decompressed bytes
	// than its budget (a zip bomb), an XML part or .xls file over its cap.
	ErrLimit = errors.New("workbook exceeds a size limit")
)

// errPackage is a damaged XLSX package (zip or XML).
var errPackage = errors.New("damaged workbook")
