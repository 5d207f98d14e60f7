package excel

import (
	"testing"
	"time"
)

func TestFormatClassTellsDatesFromNumbers(t *testing.T) {
	tests := []struct {
		code string
		want class
	}{
		{"General", classNumber},
		{"GENERAL", classNumber},
		{"0.00", classNumber},
		{"#,##0.00 \"€\"", classNumber},
		{"0.00E+00", classNumber},
		{"0%", classNumber},
		{"@", classNumber},
		{`0.0 "days"`, classNumber},
		{`#,##0 "hours"`, classNumber},
		{"[Red]0.00;[Blue]-0.00", classNumber},
		{`0 \h`, classNumber},
		{"0 h", classNumber}, // digits and a date token: ambiguous, a number (as xlrd)
		{"yyyy-mm-dd", classDate},
		{"dd/mm/yyyy", classDate},
		{"DD/MM/YYYY", classDate},
		{"d-mmm-yy", classDate},
		{"mmm yy", classDate},
		{"mmmm", classDate},
		{"yyyy", classDate},
		{`yyyy "year" mmm`, classDate},
		{"[$-409]d-mmm-yyyy;@", classDate},
		{`DDDD", "MMMM\ DD", "YYYY`, classDate},
		{"yyyy-mm-dd hh:mm", classDateTime},
		{"m/d/yyyy h:mm", classDateTime},
		{"dd/mm/yyyy hh:mm:ss.000", classDateTime},
		{"yyyy-mm-dd h:mm AM/PM", classDateTime},
		{"h:mm", classTime},
		{"HH:MM", classTime},
		{"h:mm:ss AM/PM", classTime},
		{"h:mm a/p", classTime},
		{"mm:ss", classTime},
		{"mm:ss.0", classTime},
		{"[h]:mm:ss", classElapsed},
		{"[mm]:ss", classElapsed},
		{"[ss]", classElapsed},
		{"[Red][h]:mm", classElapsed},
		{`"date" yyyy`, classDate},
		{`"yyyy" 0`, classNumber}, // quoted text is not a token
		{"yyyy;0.00", classDate},  // first section only
		{"", classNumber},
		{`"unterminated`, classNumber},
		{"[unterminated", classNumber},
		{"\\", classNumber},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := formatClass(tt.code); got != tt.want {
				t.Errorf("formatClass(%q) = %d, want %d", tt.code, got, tt.want)
			}
		})
	}
}

func TestBuiltinClassCoversExcelsDateIDs(t *testing.T) {
	want := map[int]class{14: classDate, 15: classDate, 16: classDate, 17: classDate, 18: classTime, 19: classTime,
		20: classTime, 21: classTime, 22: classDateTime, 45: classTime, 46: classElapsed, 47: classTime,
		32: classTime, 33: classTime}
	for _, id := range []int{27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58} {
		want[id] = classDate // East Asian date formats
	}
	for id := 0; id < 200; id++ {
		if got := builtinClass(id); got != want[id] {
			t.Errorf("builtinClass(%d) = %d, want %d", id, got, want[id])
		}
	}
}

func TestSerialTimeFollowsExcelsCalendars(t *testing.T) {
	tests := []struct {
		serial   float64
		date1904 bool
		want     string // "" when out of range
	}{
		{1, false, "1900-01-01T00:00:00Z"},
		{59, false, "1900-02-28T00:00:00Z"},
		{60, false, "1900-03-01T00:00:00Z"}, // Excel's 29 February 1900
		{61, false, "1900-03-01T00:00:00Z"},
		{45000, false, "2023-03-15T00:00:00Z"},
		{45000.5, false, "2023-03-15T12:00:00Z"},
		{45000.424444444444, false, "2023-03-15T10:11:12Z"},
		{45000.99999999, false, "2023-03-15T23:59:59.999Z"},
		{45000.999999999, false, "2023-03-16T00:00:00Z"}, // rounds to the next day
		{0.0000115741, false, "1899-12-31T00:00:01Z"},
		{2958465.999, false, "9999-12-31T23:58:33.6Z"},
		{0, true, "1904-01-01T00:00:00Z"},
		{43538.75, true, "2023-03-15T18:00:00Z"},
		{-1, false, ""},
		{2958466, false, ""},
		{2957004, true, ""},
	}
	for _, tt := range tests {
		got, ok := serialTime(tt.serial, tt.date1904)
		switch {
		case tt.want == "" && ok:
			t.Errorf("serialTime(%v, %v) = %v, want out of range", tt.serial, tt.date1904, got)
		case tt.want != "" && (!ok || got.Format(time.RFC3339Nano) != tt.want):
			t.Errorf("serialTime(%v, %v) = %v, %v; want %s", tt.serial, tt.date1904, got.Format(time.RFC3339Nano), ok, tt.want)
		}
	}
}

func TestClockTextRendersTimesOfDayAndDurations(t *testing.T) {
	tests := []struct {
		v       float64
		elapsed bool
		want    string
	}{
		{0, false, "00:00:00"},
		{0.5, false, "12:00:00"},
		{64033.0 / 86400, false, "17:47:13"},
		{0.741123, false, "17:47:13.027"},
		{0.5 + 0.25/86400, false, "12:00:00.250"},
		{0.99999999, false, "23:59:59.999"},
		{0.999999999, false, "00:00:00"},
		{1.5, true, "36:00:00"},
		{100, true, "2400:00:00"},
		{1.5, false, ""},
		{-0.1, true, ""},
	}
	for _, tt := range tests {
		got, ok := clockText(tt.v, tt.elapsed)
		if (tt.want == "") == ok || got != tt.want {
			t.Errorf("clockText(%v, %v) = %q, %v; want %q", tt.v, tt.elapsed, got, ok, tt.want)
		}
	}
}

func TestColNameSpellsColumns(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 51: "AZ", 52: "BA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := colName(col); got != want {
			t.Errorf("colName(%d) = %q, want %q", col, got, want)
		}
		if back, ok := refColumn(want + "7"); !ok || back != col {
			t.Errorf("refColumn(%q) = %d, %v; want %d", want+"7", back, ok, col)
		}
	}
	for _, bad := range []string{"", "7", "A7B", "XFE1", "ZZZZ1", "$A$1"} {
		if _, ok := refColumn(bad); ok {
			t.Errorf("refColumn(%q) accepted", bad)
		}
	}
}

func TestUnescapeOOXMLDecodesEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             "plain",
		"a_x000D_b":         "a\rb",
		"_x005F_x000D_":     "_x000D_",
		"_x00e9_t_x00E9_":   "été",
		"_x12_ and _xZZZZ_": "_x12_ and _xZZZZ_",
		"end_x":             "end_x",
	} {
		if got := unescapeOOXML([]byte(in)); got != want {
			t.Errorf("unescapeOOXML(%q) = %q, want %q", in, got, want)
		}
	}
}
