package fakewarehouse

import (
	"context"
	"strings"
)

// mergeClause is a WHEN clause of a MERGE.
type mergeClause struct {
	matched bool
	cond    []token   // after AND, or none
	action  string    // DELETE, UPDATE or INSERT
	sets    [][]token // UPDATE SET col = expr, each
	cols    []token   // INSERT (cols)
	values  []token   // INSERT VALUES (exprs)
}

// merge runs MERGE INTO target [AS] t USING (query) [AS] s ON cond WHEN
// ... as Delta does: every pair of a target row and a source row that ON
// matches is found first, on the table as it was; a target row that two
// source rows match is an error when a MATCHED clause would act on it;
// then the matched target rows are deleted or updated and the unmatched
// source rows inserted. It returns the metrics row: num_affected_rows,
// num_updated_rows, num_deleted_rows, num_inserted_rows.
func (e *engine) merge(ctx context.Context, toks []token, params map[string]param) (*result, error) {
	syntax := func(what string) (*result, error) {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "MERGE: %s", what)
	}
	if len(toks) < 3 || !toks[1].is("INTO") {
		return syntax("want MERGE INTO")
	}
	parts, i := qualified(toks, 2)
	target, err := e.lookup(parts)
	if err != nil {
		return nil, err
	}
	alias := func(i int) (string, int) {
		if i < len(toks) && toks[i].is("AS") {
			i++
		}
		if i < len(toks) && toks[i].isName() && !toks[i].is("USING") && !toks[i].is("ON") {
			return toks[i].text, i + 1
		}
		return "", i
	}
	talias, i := alias(i)
	if talias == "" {
		talias = target.name
	}
	if i >= len(toks) || !toks[i].is("USING") || i+1 >= len(toks) || toks[i+1].text != "(" {
		return syntax("want USING (query)")
	}
	close, err := matching(toks, i+1)
	if err != nil {
		return syntax(err.Error())
	}
	source := toks[i+2 : close]
	salias, i := alias(close + 1)
	if salias == "" || i >= len(toks) || !toks[i].is("ON") {
		return syntax("want an alias of the source and ON")
	}
	when := indexTop(toks, i, keyword("WHEN"))
	if when < 0 {
		return syntax("no WHEN clause")
	}
	on := toks[i+1 : when]
	var clauses []mergeClause
	for _, c := range splitTop(toks[when+1:], keyword("WHEN")) {
		var mc mergeClause
		j := 0
		if j < len(c) && c[j].is("NOT") {
			j++
		} else {
			mc.matched = true
		}
		if j >= len(c) || !c[j].is("MATCHED") {
			return syntax("want [NOT] MATCHED")
		}
		j++
		then := indexTop(c, j, keyword("THEN"))
		if then < 0 {
			return syntax("want THEN")
		}
		if j < then && c[j].is("AND") {
			mc.cond = c[j+1 : then]
		}
		act := c[then+1:]
		switch {
		case len(act) == 1 && act[0].is("DELETE") && mc.matched:
			mc.action = "DELETE"
		case len(act) > 2 && act[0].is("UPDATE") && act[1].is("SET") && mc.matched:
			mc.action, mc.sets = "UPDATE", splitTop(act[2:], comma)
		case len(act) > 3 && act[0].is("INSERT") && act[1].text == "(" && !mc.matched:
			ce, err := matching(act, 1)
			if err != nil || ce+2 >= len(act) || !act[ce+1].is("VALUES") {
				return syntax("want INSERT (columns) VALUES (values)")
			}
			ve, err := matching(act, ce+2)
			if err != nil {
				return syntax(err.Error())
			}
			mc.action, mc.cols, mc.values = "INSERT", act[2:ce], act[ce+3:ve]
		default:
			return syntax("unsupported WHEN clause")
		}
		clauses = append(clauses, mc)
	}

	tr := &translator{e: e, params: map[string]bool{}}
	text := func(t []token) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = tr.text(t)
		return s
	}
	cond := func(t []token) string {
		if len(t) == 0 {
			return "1"
		}
		return "(" + text(t) + ")"
	}
	tname := sqliteIdent(target.key())
	ta, sa := sqliteIdent(talias), sqliteIdent(salias)
	pairs := `SELECT "m".tr AS tr FROM "__m" AS "m" JOIN "__src" AS ` + sa + ` ON ` + sa + `.rowid = "m".sr JOIN ` + tname + ` AS ` + ta + ` ON ` + ta + `.rowid = "m".tr`
	stmts := []string{
		`CREATE TEMP TABLE "__src" AS ` + text(source),
		`CREATE TEMP TABLE "__m" AS SELECT ` + sa + `.rowid AS sr, ` + ta + `.rowid AS tr FROM "__src" AS ` + sa + ` JOIN ` + tname + ` AS ` + ta + ` ON ` + cond(on),
	}
	var checks []string
	var actions []struct{ kind, stmt string }
	for _, c := range clauses {
		switch c.action {
		case "DELETE":
			checks = append(checks, pairs+` WHERE `+cond(c.cond))
			actions = append(actions, struct{ kind, stmt string }{"deleted", `DELETE FROM ` + tname + ` WHERE rowid IN (` + pairs + ` WHERE ` + cond(c.cond) + `)`})
		case "UPDATE":
			checks = append(checks, pairs+` WHERE `+cond(c.cond))
			var sets []string
			for _, s := range c.sets {
				eq := indexTop(s, 0, func(t token) bool { return t.kind == tPunct && t.text == "=" })
				if eq != 1 {
					return syntax("want SET column = value")
				}
				sets = append(sets, text(s[:1])+` = (SELECT `+text(s[2:])+` FROM "__src" AS `+sa+` JOIN "__m" AS "m" ON "m".sr = `+sa+`.rowid WHERE "m".tr = `+ta+`.rowid)`)
			}
			actions = append(actions, struct{ kind, stmt string }{"updated", `UPDATE ` + tname + ` AS ` + ta + ` SET ` + strings.Join(sets, ", ") +
				` WHERE ` + ta + `.rowid IN (` + pairs + ` WHERE ` + cond(c.cond) + `)`})
		case "INSERT":
			actions = append(actions, struct{ kind, stmt string }{"inserted", `INSERT INTO ` + tname + ` (` + text(c.cols) + `) SELECT ` + text(c.values) +
				` FROM "__src" AS ` + sa + ` WHERE ` + sa + `.rowid NOT IN (SELECT sr FROM "__m") AND ` + cond(c.cond)})
		}
	}
	if err != nil {
		return syntax(err.Error())
	}
	a, err := args(tr.params, params)
	if err != nil {
		return nil, err
	}
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, argsFor(s, a)...); err != nil {
			return nil, sqliteError(err, s)
		}
	}
	for _, c := range checks {
		var n int64
		q := `SELECT COUNT(*) FROM (SELECT tr FROM (` + c + `) GROUP BY tr HAVING COUNT(*) > 1)`
		if err := tx.QueryRowContext(ctx, q, argsFor(q, a)...).Scan(&n); err != nil {
			return nil, sqliteError(err, q)
		}
		if n > 0 {
			return nil, errorf("21506", "DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE",
				"cannot perform Merge as multiple source rows matched and attempted to modify the same target row in the Delta table")
		}
	}
	counts := map[string]int64{}
	for _, act := range actions {
		r, err := tx.ExecContext(ctx, act.stmt, argsFor(act.stmt, a)...)
		if err != nil {
			return nil, sqliteError(err, act.stmt)
		}
		n, _ := r.RowsAffected()
		counts[act.kind] += n
	}
	for _, s := range []string{`DROP TABLE "__m"`, `DROP TABLE "__src"`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, sqliteError(err, s)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	affected := counts["deleted"] + counts["updated"] + counts["inserted"]
	return &result{
		modified: affected,
		cols:     []string{"num_affected_rows", "num_updated_rows", "num_deleted_rows", "num_inserted_rows"},
		types:    []string{"BIGINT", "BIGINT", "BIGINT", "BIGINT"},
		rows:     [][]any{{affected, counts["updated"], counts["deleted"], counts["inserted"]}},
	}, nil
}
