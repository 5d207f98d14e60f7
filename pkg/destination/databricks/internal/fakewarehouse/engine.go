package fakewarehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// Values are kept in SQLite in one canonical form per Databricks type:
//
//	BOOLEAN    integer 0 or 1
//	BIGINT     integer
//	DOUBLE     real
//	DECIMAL    text, the exact digits with the type's scale ("12.50")
//	DATE       text, 2006-01-02
//	TIMESTAMP  text, 2006-01-02 15:04:05.000000 in UTC (sorts as it compares)
//	STRING     text
//
// A column is declared to SQLite so that it keeps what it is given
// (BIGINT, DOUBLE, BOOLEAN, and TEXT_<type> for the others, which have
// text affinity), and the declared type tells a result column's
// Databricks type.

const tsLayout = "2006-01-02 15:04:05.000000"

var tsPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$`)

// sqlError is an error the warehouse answers a statement with.
type sqlError struct {
	state, msg string
}

func (e *sqlError) Error() string { return e.msg }

func errorf(state, class, format string, args ...any) *sqlError {
	return &sqlError{state: state, msg: "[" + class + "] " + fmt.Sprintf(format, args...)}
}

func asSQLError(err error) *sqlError {
	var e *sqlError
	if errors.As(err, &e) {
		return e
	}
	return &sqlError{state: "XX000", msg: "[INTERNAL_ERROR] " + err.Error()}
}

// param is a statement parameter as the driver sends it: a type name and
// the value's text.
type param struct {
	typ   string
	value string
	set   bool
}

// col is a column of a table.
type col struct {
	name, typ, comment string
}

// table is a table of the warehouse.
type table struct {
	catalog, schema, name string
	cols                  []col
	loaded                map[string]bool // files COPY INTO loaded, by path
}

func (t *table) key() string { return tableKey([]string{t.catalog, t.schema, t.name}) }

// engine runs statements on an in-memory SQLite database, one at a time.
type engine struct {
	mu       sync.Mutex
	db       *sql.DB
	conn     *sql.Conn
	tables   map[string]*table // by key
	readFile func(path string) ([]byte, bool)
}

// connector opens the engine's database with its own driver, so that the
// functions it registers reach no other SQLite database of the process.
type connector struct{ d *sqlite.Driver }

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(":memory:") }
func (c connector) Driver() driver.Driver                        { return c.d }

func newEngine(readFile func(string) ([]byte, bool)) (*engine, error) {
	d := &sqlite.Driver{}
	if err := d.RegisterDeterministicScalarFunction("__cast", 3, castFunc); err != nil {
		return nil, err
	}
	if err := d.RegisterDeterministicScalarFunction("date_format", 2, dateFormatFunc); err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector{d})
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, err
	}
	e := &engine{db: db, conn: conn, tables: map[string]*table{}, readFile: readFile}
	for _, stmt := range []string{
		`CREATE TABLE "__columns" (table_catalog TEXT_STRING, table_schema TEXT_STRING, table_name TEXT_STRING,
			column_name TEXT_STRING, ordinal_position BIGINT, data_type TEXT_STRING, full_data_type TEXT_STRING, comment TEXT_STRING)`,
		`CREATE TABLE "__tables" (table_catalog TEXT_STRING, table_schema TEXT_STRING, table_name TEXT_STRING, table_type TEXT_STRING)`,
	} {
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

func (e *engine) close() error {
	e.conn.Close()
	return e.db.Close()
}

// decl is the type a column of Databricks type typ is declared to SQLite
// with.
func decl(typ string) string {
	switch typ {
	case "BIGINT", "DOUBLE", "BOOLEAN":
		return typ
	}
	return "TEXT_" + typ
}

// undecl maps a declared type back to the Databricks type, "" for none.
func undecl(d string) string {
	return strings.TrimPrefix(strings.ToUpper(d), "TEXT_")
}

// normType checks and normalises a Databricks type name.
func normType(t string) (string, error) {
	t = strings.ToUpper(strings.ReplaceAll(t, " ", ""))
	switch t {
	case "BIGINT", "DOUBLE", "BOOLEAN", "STRING", "DATE", "TIMESTAMP":
		return t, nil
	case "LONG":
		return "BIGINT", nil
	}
	if m := regexp.MustCompile(`^DECIMAL\((\d+),(\d+)\)$`).FindStringSubmatch(t); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		if p < 1 || p > 38 || s > p {
			return "", errorf("22003", "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION", "decimal precision %d exceeds max precision 38", p)
		}
		return t, nil
	}
	return "", errorf("0A000", "UNSUPPORTED_DATATYPE", "the fake warehouse has no type %s", t)
}

// result is what a statement returns.
type result struct {
	err   *sqlError
	cols  []string
	types []string
	rows  [][]any
	// modified is the number of rows a DML statement changed.
	modified int64

	mu     sync.Mutex
	offset int
}

// run runs one statement.
func (e *engine) run(ctx context.Context, stmt string, params map[string]param) (*result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	toks, err := tokenize(stmt)
	if err != nil {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
	}
	if len(toks) == 0 {
		return nil, errorf("42601", "PARSE_EMPTY_STATEMENT", "empty statement")
	}
	switch {
	case toks[0].is("SELECT"):
		return e.query(ctx, toks, params, nil)
	case toks[0].is("CREATE") && len(toks) > 3 && toks[1].is("OR") && toks[2].is("REPLACE"):
		return e.createAs(ctx, toks[3:], params)
	case toks[0].is("CREATE") && len(toks) > 1 && toks[1].is("TABLE"):
		return e.create(ctx, toks[2:])
	case toks[0].is("ALTER") && len(toks) > 1 && toks[1].is("TABLE"):
		return e.alter(ctx, toks[2:])
	case toks[0].is("DROP") && len(toks) > 1 && toks[1].is("TABLE"):
		return e.drop(ctx, toks[2:])
	case toks[0].is("DELETE"):
		return e.dml(ctx, toks, params)
	case toks[0].is("COPY"):
		return e.copyInto(ctx, toks, params)
	case toks[0].is("MERGE"):
		return e.merge(ctx, toks, params)
	}
	return nil, errorf("0A000", "UNSUPPORTED_STATEMENT", "the fake warehouse does not run %s", toks[0].text)
}

// lookup returns the table a three-part name names.
func (e *engine) lookup(parts []string) (*table, error) {
	if len(parts) != 3 {
		return nil, errorf("42P01", "TABLE_OR_VIEW_NOT_FOUND", "want catalog.schema.table, got %s", strings.Join(parts, "."))
	}
	t := e.tables[tableKey(parts)]
	if t == nil {
		return nil, errorf("42P01", "TABLE_OR_VIEW_NOT_FOUND", "the table or view %s cannot be found", strings.Join(parts, "."))
	}
	return t, nil
}

// args converts the parameters a statement uses to SQLite values.
func args(used map[string]bool, params map[string]param) ([]any, error) {
	var out []any
	for name := range used {
		p, ok := params[name]
		if !ok {
			return nil, errorf("42P02", "UNBOUND_SQL_PARAMETER", "found the unbound parameter: %s", name)
		}
		v, err := p.sqlite()
		if err != nil {
			return nil, err
		}
		out = append(out, sql.Named(name, v))
	}
	return out, nil
}

// argsFor returns those of the named arguments a that the SQLite text
// uses.
func argsFor(text string, a []any) []any {
	var out []any
	for _, v := range a {
		n := v.(sql.NamedArg)
		if regexp.MustCompile(`:` + regexp.QuoteMeta(n.Name) + `\b`).MatchString(text) {
			out = append(out, v)
		}
	}
	return out
}

// sqlite returns the parameter's value in canonical form.
func (p param) sqlite() (any, error) {
	if !p.set {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, errorf("22018", "INVALID_PARAMETER_VALUE", "%q is no %s", p.value, p.typ)
	}
	switch t := strings.ToUpper(p.typ); {
	case t == "STRING":
		return p.value, nil
	case t == "BIGINT" || t == "INTEGER" || t == "INT" || t == "SMALLINT" || t == "TINYINT":
		n, err := strconv.ParseInt(p.value, 10, 64)
		if err != nil {
			return bad()
		}
		return n, nil
	case t == "DOUBLE" || t == "FLOAT":
		f, err := strconv.ParseFloat(p.value, 64)
		if err != nil {
			return bad()
		}
		return f, nil
	case t == "BOOLEAN":
		b, err := strconv.ParseBool(p.value)
		if err != nil {
			return bad()
		}
		return boolInt(b), nil
	case t == "TIMESTAMP":
		ts, err := time.Parse(time.RFC3339Nano, p.value)
		if err != nil {
			return bad()
		}
		return ts.UTC().Format(tsLayout), nil
	case t == "VOID":
		return nil, nil
	}
	return p.value, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// query runs a SELECT and types its columns: by the declared type of a
// column read as it is, otherwise by the values (an integer is BIGINT, a
// real DOUBLE, text in the canonical timestamp form TIMESTAMP, other text
// STRING), as the warehouse types an expression by its operands.
func (e *engine) query(ctx context.Context, toks []token, params map[string]param, types map[string]string) (*result, error) {
	text, a, err := e.translate(toks, params, types)
	if err != nil {
		return nil, err
	}
	rows, err := e.conn.QueryContext(ctx, text, a...)
	if err != nil {
		return nil, sqliteError(err, text)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	cts, _ := rows.ColumnTypes()
	res := &result{cols: names, types: make([]string, len(names))}
	for rows.Next() {
		row := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, sqliteError(err, text)
		}
		res.rows = append(res.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, sqliteError(err, text)
	}
	for i := range names {
		if d := undecl(cts[i].DatabaseTypeName()); d != "" {
			res.types[i] = d
			continue
		}
		res.types[i] = "STRING"
		for _, row := range res.rows {
			switch v := row[i].(type) {
			case int64:
				res.types[i] = "BIGINT"
			case float64:
				res.types[i] = "DOUBLE"
			case string:
				if tsPattern.MatchString(v) {
					res.types[i] = "TIMESTAMP"
				}
			case nil:
				continue
			}
			break
		}
	}
	return res, nil
}

// translate turns a statement into SQLite text and the arguments of the
// parameters it uses (types: see translator).
func (e *engine) translate(toks []token, params map[string]param, types map[string]string) (string, []any, error) {
	tr := &translator{e: e, types: types, params: map[string]bool{}}
	text, err := tr.text(toks)
	if err != nil {
		return "", nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
	}
	a, err := args(tr.params, params)
	return text, a, err
}

// sqliteError is a SQLite error of a translated statement: the fake's
// translation or the destination's SQL is wrong.
func sqliteError(err error, text string) error {
	var se *sqlError
	if errors.As(err, &se) {
		return se
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "__cast: "):
		return errorf("22003", "CAST_INVALID_INPUT", "%s", msg)
	case strings.Contains(msg, "no such table"):
		return errorf("42P01", "TABLE_OR_VIEW_NOT_FOUND", "%s", msg)
	case strings.Contains(msg, "no such column"):
		return errorf("42703", "UNRESOLVED_COLUMN", "%s", msg)
	}
	return errorf("XX000", "INTERNAL_ERROR", "%s (in SQLite: %s)", msg, text)
}

// exec runs SQLite statements in one transaction.
func (e *engine) exec(ctx context.Context, stmts ...string) error {
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			tx.Rollback()
			return sqliteError(err, s)
		}
	}
	return tx.Commit()
}

// refresh writes a table's rows of information_schema (or removes them).
func (e *engine) refresh(ctx context.Context, tx *sql.Tx, t *table, gone bool) error {
	key := []any{t.catalog, t.schema, t.name}
	for _, s := range []string{
		`DELETE FROM "__columns" WHERE table_catalog = ? AND table_schema = ? AND table_name = ?`,
		`DELETE FROM "__tables" WHERE table_catalog = ? AND table_schema = ? AND table_name = ?`,
	} {
		if _, err := tx.ExecContext(ctx, s, key...); err != nil {
			return err
		}
	}
	if gone {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO "__tables" VALUES (?, ?, ?, 'MANAGED')`, key...); err != nil {
		return err
	}
	for i, c := range t.cols {
		var comment any
		if c.comment != "" {
			comment = c.comment
		}
		dataType, _, _ := strings.Cut(c.typ, "(")
		if _, err := tx.ExecContext(ctx, `INSERT INTO "__columns" VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.catalog, t.schema, t.name, c.name, int64(i), dataType, strings.ToLower(c.typ), comment); err != nil {
			return err
		}
	}
	return nil
}

// colDefs parses column definitions: name TYPE [NOT NULL] [COMMENT '...'].
func colDefs(toks []token) ([]col, error) {
	var out []col
	for _, def := range splitTop(toks, comma) {
		if len(def) < 2 || !def[0].isName() {
			return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "bad column definition")
		}
		c := col{name: def[0].text}
		end := 2
		if end < len(def) && def[end].text == "(" {
			close, err := matching(def, end)
			if err != nil {
				return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
			}
			end = close + 1
		}
		typ, err := normType(typeText(def[1:end]))
		if err != nil {
			return nil, err
		}
		c.typ = typ
		for i := end; i < len(def); i++ {
			switch {
			case def[i].is("NOT") || def[i].is("NULL"):
			case def[i].is("COMMENT") && i+1 < len(def) && def[i+1].kind == tString:
				c.comment = def[i+1].text
				i++
			default:
				return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "unexpected %q in the definition of %s", def[i].text, c.name)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// create runs CREATE TABLE [IF NOT EXISTS] name (defs) [USING DELTA]
// [TBLPROPERTIES (...)].
func (e *engine) create(ctx context.Context, toks []token) (*result, error) {
	ifNotExists := len(toks) > 3 && toks[0].is("IF") && toks[1].is("NOT") && toks[2].is("EXISTS")
	if ifNotExists {
		toks = toks[3:]
	}
	parts, i := qualified(toks, 0)
	if len(parts) != 3 || i >= len(toks) || toks[i].text != "(" {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "CREATE TABLE wants catalog.schema.table (columns)")
	}
	close, err := matching(toks, i)
	if err != nil {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
	}
	cols, err := colDefs(toks[i+1 : close])
	if err != nil {
		return nil, err
	}
	if err := checkOptions(toks[close+1:]); err != nil {
		return nil, err
	}
	if e.tables[tableKey(parts)] != nil {
		if ifNotExists {
			return &result{}, nil
		}
		return nil, errorf("42P07", "TABLE_OR_VIEW_ALREADY_EXISTS", "cannot create table %s because it already exists", strings.Join(parts, "."))
	}
	t := &table{catalog: parts[0], schema: parts[1], name: parts[2], cols: cols, loaded: map[string]bool{}}
	if err := e.createTable(ctx, t, ""); err != nil {
		return nil, err
	}
	return &result{}, nil
}

// checkOptions accepts what follows a CREATE TABLE's columns: USING DELTA
// and TBLPROPERTIES.
func checkOptions(toks []token) error {
	for i := 0; i < len(toks); i++ {
		switch {
		case toks[i].is("USING") && i+1 < len(toks) && toks[i+1].is("DELTA"):
			i++
		case toks[i].is("TBLPROPERTIES") && i+1 < len(toks) && toks[i+1].text == "(":
			close, err := matching(toks, i+1)
			if err != nil {
				return errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
			}
			i = close
		default:
			return errorf("42601", "PARSE_SYNTAX_ERROR", "unexpected %q after the columns", toks[i].text)
		}
	}
	return nil
}

// createTable creates t in SQLite (filled by the statement fill, if any)
// and the catalog.
func (e *engine) createTable(ctx context.Context, t *table, fill string) error {
	defs := make([]string, len(t.cols))
	for i, c := range t.cols {
		defs[i] = sqliteIdent(c.name) + " " + decl(c.typ)
	}
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE `+sqliteIdent(t.key())+` (`+strings.Join(defs, ", ")+`)`); err != nil {
		return sqliteError(err, "create")
	}
	if fill != "" {
		if _, err := tx.ExecContext(ctx, fill); err != nil {
			return sqliteError(err, fill)
		}
	}
	if err := e.refresh(ctx, tx, t, false); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	e.tables[t.key()] = t
	return nil
}

// createAs runs CREATE OR REPLACE TABLE name [USING DELTA]
// [TBLPROPERTIES (...)] AS SELECT ... FROM one table: the select list's
// items are columns of that table, CAST(... AS type), date_format(...) or
// concatenations (||), which give STRING.
func (e *engine) createAs(ctx context.Context, toks []token, params map[string]param) (*result, error) {
	if len(toks) == 0 || !toks[0].is("TABLE") {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "want CREATE OR REPLACE TABLE")
	}
	parts, i := qualified(toks, 1)
	as := indexTop(toks, i, keyword("AS"))
	if len(parts) != 3 || as < 0 || as+1 >= len(toks) || !toks[as+1].is("SELECT") {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "want CREATE OR REPLACE TABLE catalog.schema.table ... AS SELECT")
	}
	if err := checkOptions(toks[i:as]); err != nil {
		return nil, err
	}
	sel := toks[as+1:]
	from := indexTop(sel, 0, keyword("FROM"))
	if from < 0 {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "AS SELECT needs FROM")
	}
	srcParts, _ := qualified(sel, from+1)
	src, err := e.lookup(srcParts)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, c := range src.cols {
		types[c.name] = c.typ
	}
	t := &table{catalog: parts[0], schema: parts[1], name: parts[2], loaded: map[string]bool{}}
	for _, item := range splitTop(sel[1:from], comma) {
		name, typ := "", ""
		expr := item
		if n := len(item); n >= 3 && item[n-2].is("AS") {
			name, expr = item[n-1].text, item[:n-2]
		}
		switch {
		case len(expr) == 1 && expr[0].isName():
			if name == "" {
				name = expr[0].text
			}
			typ = types[expr[0].text]
		case expr[0].is("CAST"):
			close, err := matching(expr, 1)
			if err != nil {
				return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
			}
			asAt := -1
			for j := 2; j < close; j++ {
				if expr[j].is("AS") && indexTop(expr[2:close], j-2, keyword("AS")) == j-2 {
					asAt = j
				}
			}
			if asAt < 0 {
				return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "CAST without AS")
			}
			if typ, err = normType(typeText(expr[asAt+1 : close])); err != nil {
				return nil, err
			}
		default:
			typ = "STRING" // date_format, ||
		}
		if name == "" || typ == "" {
			return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "the fake cannot type a select item of CREATE ... AS SELECT")
		}
		t.cols = append(t.cols, col{name: name, typ: typ})
	}
	tr := &translator{e: e, types: types, params: map[string]bool{}}
	text, err := tr.text(sel)
	if err != nil {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
	}
	if len(tr.params) > 0 {
		return nil, errorf("0A000", "UNSUPPORTED_FEATURE", "parameters in CREATE ... AS SELECT")
	}
	// Build the new table under a temporary name, then swap.
	old := e.tables[t.key()]
	final := *t
	tmp := *t
	tmp.name = t.name + "__replacing"
	if err := e.createTable(ctx, &tmp, `INSERT INTO `+sqliteIdent(tmp.key())+` `+text); err != nil {
		return nil, err
	}
	stmts := []string{}
	if old != nil {
		stmts = append(stmts, `DROP TABLE `+sqliteIdent(old.key()))
	}
	stmts = append(stmts, `ALTER TABLE `+sqliteIdent(tmp.key())+` RENAME TO `+sqliteIdent(final.key()))
	if err := e.exec(ctx, stmts...); err != nil {
		return nil, err
	}
	delete(e.tables, tmp.key())
	e.tables[final.key()] = &final
	if err := e.inTx(ctx, func(tx *sql.Tx) error {
		if err := e.refresh(ctx, tx, &tmp, true); err != nil {
			return err
		}
		return e.refresh(ctx, tx, &final, false)
	}); err != nil {
		return nil, err
	}
	return &result{}, nil
}

func (e *engine) inTx(ctx context.Context, do func(tx *sql.Tx) error) error {
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := do(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// alter runs ALTER TABLE name ADD COLUMNS (defs) and ALTER TABLE name
// ALTER COLUMN c COMMENT '...'.
func (e *engine) alter(ctx context.Context, toks []token) (*result, error) {
	parts, i := qualified(toks, 0)
	t, err := e.lookup(parts)
	if err != nil {
		return nil, err
	}
	rest := toks[i:]
	switch {
	case len(rest) > 2 && rest[0].is("ADD") && rest[1].is("COLUMNS") && rest[2].text == "(":
		close, err := matching(rest, 2)
		if err != nil {
			return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "%v", err)
		}
		cols, err := colDefs(rest[3:close])
		if err != nil {
			return nil, err
		}
		var stmts []string
		for _, c := range cols {
			if slices.ContainsFunc(t.cols, func(h col) bool { return strings.EqualFold(h.name, c.name) }) {
				return nil, errorf("42711", "FIELD_ALREADY_EXISTS", "cannot add column %s because it already exists", c.name)
			}
			stmts = append(stmts, `ALTER TABLE `+sqliteIdent(t.key())+` ADD COLUMN `+sqliteIdent(c.name)+` `+decl(c.typ))
		}
		if err := e.exec(ctx, stmts...); err != nil {
			return nil, err
		}
		t.cols = append(t.cols, cols...)
	case len(rest) == 5 && rest[0].is("ALTER") && rest[1].is("COLUMN") && rest[3].is("COMMENT") && rest[4].kind == tString:
		i := slices.IndexFunc(t.cols, func(c col) bool { return c.name == rest[2].text })
		if i < 0 {
			return nil, errorf("42703", "UNRESOLVED_COLUMN", "no column %s", rest[2].text)
		}
		t.cols[i].comment = rest[4].text
	default:
		return nil, errorf("0A000", "UNSUPPORTED_FEATURE", "the fake runs ADD COLUMNS and ALTER COLUMN ... COMMENT only")
	}
	return &result{}, e.inTx(ctx, func(tx *sql.Tx) error { return e.refresh(ctx, tx, t, false) })
}

// drop runs DROP TABLE [IF EXISTS] name.
func (e *engine) drop(ctx context.Context, toks []token) (*result, error) {
	ifExists := len(toks) > 2 && toks[0].is("IF") && toks[1].is("EXISTS")
	if ifExists {
		toks = toks[2:]
	}
	parts, _ := qualified(toks, 0)
	t, err := e.lookup(parts)
	if err != nil {
		if ifExists {
			return &result{}, nil
		}
		return nil, err
	}
	if err := e.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DROP TABLE `+sqliteIdent(t.key())); err != nil {
			return err
		}
		return e.refresh(ctx, tx, t, true)
	}); err != nil {
		return nil, err
	}
	delete(e.tables, t.key())
	return &result{}, nil
}

// dml runs a DELETE as it is.
func (e *engine) dml(ctx context.Context, toks []token, params map[string]param) (*result, error) {
	if parts, _ := qualified(toks, 2); len(parts) == 3 {
		if _, err := e.lookup(parts); err != nil {
			return nil, err
		}
	}
	text, a, err := e.translate(toks, params, nil)
	if err != nil {
		return nil, err
	}
	r, err := e.conn.ExecContext(ctx, text, a...)
	if err != nil {
		return nil, sqliteError(err, text)
	}
	n, _ := r.RowsAffected()
	return &result{modified: n, cols: []string{"num_affected_rows"}, types: []string{"BIGINT"}, rows: [][]any{{n}}}, nil
}
