package excel

// SetMaxSheetRows makes the writer start a new sheet after n rows, the
// header included, until the returned function restores Excel's limit.
func SetMaxSheetRows(n int) (restore func()) {
	old := maxSheetRows
	maxSheetRows = n
	return func() { maxSheetRows = old }
}
