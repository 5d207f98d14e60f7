package config

import (
	"testing"
)

func TestGlobRegexp(t *testing.T) {
	tests := []struct {
		glob  string
		match []string
		miss  []string
	}{
		{"*.csv", []string{"a.csv", "x/y/a.csv", ".hidden.csv", "a b.csv"}, []string{"a.CSV", "a.csv.gz", "a.csvx", "acsv", "csv/a.txt"}},
		{"**/*.csv", []string{"a.csv", "x/a.csv", "x/y/z/a.csv"}, []string{"a.json", "x/a.csv/b"}},
		{"data/*.csv", []string{"data/a.csv"}, []string{"a.csv", "data/x/a.csv", "other/data/a.csv"}},
		{"/data/*.csv", []string{"data/a.csv"}, []string{"x/data/a.csv"}},
		{"data/**/*.csv", []string{"data/a.csv", "data/x/a.csv", "data/x/y/a.csv"}, []string{"a.csv", "datax/a.csv"}},
		{"data/**", []string{"data/a", "data/x/y.json"}, []string{"data", "other/a"}},
		{"data/", []string{"data/a", "data/x/y.json"}, []string{"data", "other/a"}},
		{"**", []string{"a", "x/y/z"}, nil},
		{"report-????.csv", []string{"report-2024.csv", "q/report-2024.csv"}, []string{"report-24.csv", "report-20/4.csv"}},
		{"[ab].csv", []string{"a.csv", "b.csv", "x/a.csv"}, []string{"c.csv", "ab.csv", "A.csv"}},
		{"[a-c]x.csv", []string{"bx.csv"}, []string{"dx.csv"}},
		{"[!a-c]x.csv", []string{"dx.csv", "Ax.csv"}, []string{"ax.csv", "/x.csv"}},
		{"[^a]x.csv", []string{"bx.csv"}, []string{"ax.csv"}},
		{"[]]x", []string{"]x"}, []string{"ax"}},
		{"*.[cC][sS][vV]", []string{"a.csv", "A.CSV", "a.Csv"}, []string{"a.tsv"}},
		{`a\*b`, []string{"a*b"}, []string{"axb"}},
		{"a.b+c(d)", []string{"a.b+c(d)"}, []string{"aXb+c(d)", "a.bbc(d)"}},
		{"a**b", []string{"ab", "aXYb"}, []string{"a/b"}},
		{"café.csv", []string{"café.csv"}, []string{"cafe.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.glob, func(t *testing.T) {
			re, err := globRegexp(tt.glob)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.match {
				if !re.MatchString(p) {
					t.Errorf("%q (%s) does not match %q", tt.glob, re, p)
				}
			}
			for _, p := range tt.miss {
				if re.MatchString(p) {
					t.Errorf("%q (%s) matches %q", tt.glob, re, p)
				}
			}
		})
	}
}

func TestGlobRegexpRejectsBadGlobs(t *testing.T) {
	for _, g := range []string{"", "[abc", "[", "[z-a]"} {
		t.Run(g, func(t *testing.T) {
			if re, err := globRegexp(g); err == nil {
				t.Errorf("globRegexp(%q) = %s, want an error", g, re)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"nats://h:4222", "nats://h:4222"},
		{"nats://u:pw@h:4222", "nats://REDACTED@h:4222"},
		{"nats://token@h:4222", "nats://REDACTED@h:4222"},
		{"nats://u:pw@a:4222,nats://u:pw@b:4222", "nats://REDACTED@a:4222,nats://REDACTED@b:4222"},
		{"postgresql://h/d?sslmode=disable&password=pw", "postgresql://h/d?password=REDACTED&sslmode=disable"},
		{"nats://u:12/x@h", "REDACTED"},
		{"nats://u:p w@h", "REDACTED"},
		{"u:pw@h:4222", "REDACTED"},
		{"postgresql://u:2024/secret@h/d", "REDACTED"},
		{"postgresql://u:p?w@h/d", "REDACTED"},
		{"postgresql://u:p%zz@h/d", "REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
