// Package excel reads Excel workbooks, .xlsx and .xlsm (Office Open XML)
// and legacy .xls (BIFF2 to BIFF8), streaming each worksheet as a table
// of typed cells, and writes tables to .xlsx. It registers format code
// "excel" for the extensions .xlsx, .xlsm and .xls (a file's first bytes
// decide which family it is), and its writer under the same code.
//
// XLSX worksheets are streamed straight out of the zip by a small XML
// tokenizer of ours (scan.go, fuzzed against encoding/xml), so that each
// cell's type (number, shared or inline string, boolean, error, formula
// result) and number format (dates) are known, with no allocation per
// cell: excelize's row iterator gives only formatted text, and
// encoding/xml allocates for every token. The workbook's small parts
// (relationships, workbook, styles, shared strings) are read with
// encoding/xml. The .xls reader (internal/cfb and internal/biff) is ours
// too: the Go libraries for it panic, loop or allocate without bound on
// damaged files. The writer uses excelize's stream writer.
package excel
