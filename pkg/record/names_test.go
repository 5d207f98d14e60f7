package record

import (
	"regexp"
	"strings"
	"testing"
)

var identifier = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func TestSafeName(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"Prénom", "prenom"},
		{"Straße", "strasse"},
		{"Ærø", "aero"},
		{"Œuvre", "oeuvre"},
		{"Łódź", "lodz"},
		{"Þór", "thor"},
		{"Ｆｕｌｌ Ｗｉｄｔｈ", "full_width"},
		{"First Name", "first_name"},
		{"  Order--ID  ", "order_id"},
		{"_id", "id"},
		{"ID", "id"},
		{"camelCase", "camelcase"},
		{"2nd place", "c_2nd_place"},
		{"123", "c_123"},
		{"", "column"},
		{"   ", "column"},
		{"!!!", "column"},
		{"名前", "column"},
		{`a"; DROP TABLE x; --`, "a_drop_table_x"},
		{"Robert'); DROP TABLE students;--", "robert_drop_table_students"},
		{"tab\tand\nnewline", "tab_and_newline"},
		{"café au lait", "cafe_au_lait"},
		{strings.Repeat("a", 70), strings.Repeat("a", 63)},
		{strings.Repeat("a", 62) + " b", strings.Repeat("a", 62)},
		{"9" + strings.Repeat("a", 70), "c_9" + strings.Repeat("a", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got := SafeName(tt.raw)
			if got != tt.want {
				t.Errorf("SafeName(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if !identifier.MatchString(got) || len(got) > MaxNameBytes {
				t.Errorf("SafeName(%q) = %q is not a safe identifier", tt.raw, got)
			}
		})
	}
}

func TestTableName(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"Ventes 2024", "ventes_2024"},
		{"2024-sales", "t_2024_sales"},
		{"sqlite_master", "t_sqlite_master"},
		{"", "table"},
		{"données_clients", "donnees_clients"},
		{`x"; DROP TABLE y`, "x_drop_table_y"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := TableName(tt.raw); got != tt.want {
				t.Errorf("TableName(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	long := strings.Repeat("x", 70)
	tests := []struct {
		name string
		raw  []string
		want []string
	}{
		{"plain", []string{"a", "b"}, []string{"a", "b"}},
		{"case collision", []string{"Name", "name", "NAME"}, []string{"name", "name_2", "name_3"}},
		{"accent collision", []string{"Prénom", "Prenom"}, []string{"prenom", "prenom_2"}},
		{"blank names use their position", []string{"a", "", " ", "名前"}, []string{"a", "column_1", "column_2", "column_3"}},
		{"suffix skips a taken name", []string{"a", "a_2", "a"}, []string{"a", "a_2", "a_3"}},
		{"blank name colliding with a header", []string{"column_1", ""}, []string{"column_1", "column_1_2"}},
		{"system names cannot be taken", []string{"_line", "_file", "line"}, []string{"line", "file", "line_2"}},
		{"the packed data column keeps its name", []string{"_data", "data", "_Data", "_data"}, []string{"_data", "data", "data_2", "_data_2"}},
		{"long names cut and suffixed within 63 bytes", []string{long, long + "y"}, []string{long[:63], long[:61] + "_2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Names(tt.raw)
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Names(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			checkNames(t, tt.raw, got)
		})
	}
}

func TestNamesArePrefixStable(t *testing.T) {
	a := []string{"id", "Name", "name", ""}
	b := []string{"NAME", "id", "new"}
	all := Names(append(append([]string(nil), a...), b...))
	first := Names(a)
	for i := range first {
		if all[i] != first[i] {
			t.Errorf("name %d is %q alone but %q with later columns", i, first[i], all[i])
		}
	}
}

// checkNames asserts what FuzzNames asserts: one valid, short, unique,
// non-system identifier per raw name.
func checkNames(t *testing.T, raw, got []string) {
	t.Helper()
	if len(got) != len(raw) {
		t.Fatalf("Names(%q) returned %d names", raw, len(got))
	}
	seen := map[string]bool{}
	for i, n := range got {
		if !identifier.MatchString(n) || len(n) > MaxNameBytes {
			t.Fatalf("Names(%q)[%d] = %q is not a safe identifier", raw, i, n)
		}
		if seen[n] || IsSystem(n) {
			t.Fatalf("Names(%q)[%d] = %q is taken", raw, i, n)
		}
		seen[n] = true
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"", ""},
		{"héllo", "héllo"},
		{"a\x00b\x00", "a\uFFFDb\uFFFD"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"\xc3", "\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // an encoded surrogate is invalid
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("clean text is not copied", func(t *testing.T) {
		s := strings.Repeat("clean é text ", 10)
		if allocs := testing.AllocsPerRun(100, func() { CleanText(s) }); allocs != 0 {
			t.Errorf("CleanText allocated %v times on clean text", allocs)
		}
	})
}
