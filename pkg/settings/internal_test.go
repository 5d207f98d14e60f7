package settings

import (
	"errors"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "alpha", "EMPTY": "", "D": "$x"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	tests := []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"${A}", "alpha", ""},
		{"x${A}y${A}", "xalphayalpha", ""},
		{"${NOPE:-dflt}", "dflt", ""},
		{"${NOPE:-}", "", ""},
		{"${EMPTY:-dflt}", "dflt", ""},
		{"${EMPTY}", "", ""},
		{"${NOPE:-a:-b}", "a:-b", ""},
		{"$$", "$", ""},
		{"$${A}", "${A}", ""},
		{"a$", "a$", ""},
		{`\.csv$`, `\.csv$`, ""},
		{"$A", "$A", ""},
		{"${D}", "$x", ""}, // values are not expanded again
		{"${NOPE}", "", "environment variable not set: NOPE"},
		{"${X}${Y}", "", "environment variable not set: X, Y"},
		{"${A", "", "unterminated ${"},
		{"${}", "", "is not a variable name"},
		{"${A B}", "", "is not a variable name"},
		{"${A-b}", "", "is not a variable name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Expand(tt.in, lookup)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("err = %v, want %q", err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("err = %v", err)
			case got != tt.want:
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Expand("${NOPE}", lookup); !errors.Is(err, ErrUnsetVariable) {
		t.Errorf("unset variable error does not wrap ErrUnsetVariable: %v", err)
	}
}

func TestWrittenPassword(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"postgresql://u:pw@h/d", true},
		{"postgres://u:pw@h:5432/d?sslmode=require", true},
		{"postgresql://u:${PW}@h/d", false},
		{"postgresql://${U}:${PW}@h/d", false},
		{"postgresql://u:${PW:-x}@h/d", true},
		{"postgresql://u:${PW:-}@h/d", true},
		{"postgresql://u:a${PW}@h/d", true},
		{"postgresql://u@h/d", false},
		{"postgresql://u:@h/d", false},
		{"postgresql://h:5432/d", false},
		{"postgresql://${PGHOST:-localhost}:${PGPORT:-5432}/d", false},
		{"${DATABASE_URL}", false},
		{"postgresql://u@h/d?password=pw", true},
		{"postgresql://u@h/d?PASSWORD=${PW}", false},
		{"postgresql://u@h/d?sslpassword=pw", true},
		{"postgresql://u@h/d?sslmode=disable&application_name=x", false},
		{"postgresql://u:p/w#x@h/d", true},
		{"postgresql://u:p#w@h/d", true},
		{"postgresql://u:p?w@h/d", true},
		// An '@' after the query mark may end a password that holds a '?':
		// read so, the file holds the password 5432/d?opt=a of user h.
		{"postgres://h:5432/d?opt=a@b", true},
		{"postgres://h:5432/d?opt=a%40b", false},
		// Go's parser reads host u, port 2024: the password hides there.
		{"postgresql://u:2024/secret@h/d", true},
		{"postgresql://u:2024/${PW}@h/d", true},
		{"postgresql://u:${PW}/x@h/d", true},
		{"postgresql://u:1234/w?x@h/d", true},
		{"postgresql://u:p%40ss@h/d", true},
		{"postgresql://u:p@ss@h/d", true},
		{"postgresql://u:pa:ss@h/d", true},
		{"postgresql://u@h/d?sslpassword=${PW}&password=x", true},
		{"postgresql://u@h/d?pass%77ord=x", true},
		{"nats://tok@h:4222", true},
		{"nats://${NATS_TOKEN}@h:4222", false},
		{"tls://tok@h:4222", true},
		{"nats://u:${PW}@h:4222", false},
		{"nats://u:12/x@h", true},
		{"sqlite:///rel/x:y@z.db", false},
		{"host=db user=u password=pw", true},
		{"host=db user=u password='p w'", true},
		{"host=db user=u password=${PW}", false},
		{"host=db user=u", false},
		{"/abs/path.db", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := WrittenPassword(tt.raw); got != tt.want {
				t.Errorf("WrittenPassword(%q) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"name", "source", "on_error", "file_pattern", "url"}
	tests := []struct{ in, want string }{
		{"nmae", "name"},
		{"sourc", "source"},
		{"onerror", "on_error"},
		{"on-error", "on_error"},
		{"Name", "name"},
		{"filepattern", "file_pattern"},
		{"uri", "url"},
		{"colour", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Suggest(tt.in, keys); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrorFormats(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "p.yaml", Line: 12, Key: "source.path", Msg: "required"}, "p.yaml:12: source.path: required"},
		{Error{File: "p.yaml", Key: "x", Msg: "m"}, "p.yaml: x: m"},
		{Error{Line: 3, Msg: "m"}, "line 3: m"},
		{Error{File: "p.yaml", Line: 1, Err: errors.New("cause")}, "p.yaml:1: cause"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.e.Error(); got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string
	}{
		{"0", 0, ""},
		{"1", 1, ""},
		{"16777216", 16 << 20, ""},
		{"16_777_216", 16 << 20, ""},
		{"100B", 100, ""},
		{"1kB", 1000, ""},
		{"1KB", 1000, ""},
		{"100MB", 100_000_000, ""},
		{"2GB", 2_000_000_000, ""},
		{"1TB", 1_000_000_000_000, ""},
		{"1PB", 1_000_000_000_000_000, ""},
		{"1KiB", 1024, ""},
		{"512MiB", 512 << 20, ""},
		{"512mib", 512 << 20, ""},
		{"64GiB", 64 << 30, ""},
		{"2TiB", 2 << 40, ""},
		{"1PiB", 1 << 50, ""},
		{"64Gi", 64 << 30, ""},
		{"512 MiB", 512 << 20, ""},
		{" 8 KiB ", 8192, ""},
		{"1.5GiB", 3 << 29, ""},
		{"0.5KiB", 512, ""},
		{"8191PiB", 8191 << 50, ""},
		{"8192PiB", 0, "too large"},
		{"9223372036854775807", 1<<63 - 1, ""},
		{"9223372036854775808", 0, "too large"},
		{"1.1B", 0, "not a whole number of bytes"},
		{"64G", 0, "G is ambiguous: write GB (powers of 1000) or GiB (powers of 1024)"},
		{"1k", 0, "k is ambiguous"},
		{"10 bytes", 0, `unknown unit "bytes"`},
		{"", 0, "not a size"},
		{"MiB", 0, "not a size"},
		{"-1", 0, "not a size"},
		{"1e6", 0, "not a size"},
		{"1/2", 0, "not a size"},
		{"1.MiB", 0, "not a size"},
		{".5MiB", 0, "not a size"},
		{"1,000", 0, "not a size"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ParseSize(%q) = %d, %v; want error %q", tt.in, got, err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("ParseSize(%q): %v", tt.in, err)
			case tt.err == "" && got != tt.want:
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
