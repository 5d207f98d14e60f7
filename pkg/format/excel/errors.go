package excel

import "errors"

// Errors a workbook fails with, wrapped in a *format.FileError naming the
// file.
var (
	// ErrNotWorkbook is a file that is not an Excel workbook this package
	// reads (an HTML page saved as .xls, a .xlsb or .ods file).
	ErrNotWorkbook = errors.New("not an Excel workbook")
	// ErrEncrypted is a workbook protected by a password.
	ErrEncrypted = errors.New("workbook is encrypted (password-protected)")
	// ErrLimit is a workbook beyond a size limit: more decompressed bytes
	// than its budget (a zip bomb), an XML part or .xls file over its cap.
	ErrLimit = errors.New("workbook exceeds a size limit")
)

// errPackage is a damaged XLSX package (zip or XML).
var errPackage = errors.New("damaged workbook")
