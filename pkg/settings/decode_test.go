package settings_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/settings"
)

// kinds has a field of every kind Decode fills.
type kinds struct {
	Str    string              `yaml:"str"`
	Bool   bool                `yaml:"bool"`
	Int    int                 `yaml:"int"`
	Int8   int8                `yaml:"int8"`
	Uint16 uint16              `yaml:"uint16"`
	Float  float64             `yaml:"float"`
	Dur    time.Duration       `yaml:"dur"`
	Size   settings.Size       `yaml:"size"`
	List   []string            `yaml:"list"`
	Token  settings.Secret     `yaml:"token" credential:"${API_TOKEN}"`
	URL    settings.Secret     `yaml:"url"`
	Opt    *int                `yaml:"opt"`
	OptDur *time.Duration      `yaml:"opt_dur"`
	Nested nested              `yaml:"nested"`
	Map    map[string]int      `yaml:"map"`
	Lists  map[string][]string `yaml:"lists"`
	Items  []nested            `yaml:"items"`
	// Untagged fields are not settings: Decode leaves them alone.
	Untagged string
}

type nested struct {
	A string `yaml:"a"`
	B int    `yaml:"b"`
}

// env is the environment of the tests.
var env = map[string]string{
	"NAME": "orders", "EMPTY": "", "N": "42", "TOKEN": "tok-Secret-1", "PGPASSWORD": "pg-Secret-2",
	"PGURL": "postgres://u:url-Secret-3@db/sales", "AMBIGUOUS": "Kq7v/Zx3w",
}

func lookup(k string) (string, bool) {
	v, ok := env[k]
	return v, ok
}

// block reads doc, a pipeline file whose line 1 is "connector:", and
// returns the File and the connector block, with type and name owned by
// the caller.
func block(t testing.TB, doc string) (*settings.File, *settings.Block) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatalf("YAML: %v\n%s", err, doc)
	}
	f := &settings.File{Name: "p.yaml", Dir: "/pipes", Lookup: lookup}
	top, _ := f.Fields(root.Content[0], "")
	c := top["connector"]
	m, _ := f.Fields(c.Val, "connector")
	return f, f.Block(m, c.Key, "connector", "type", "name")
}

// decode decodes the lines of a connector block into a fresh kinds.
func decode(t testing.TB, lines string) (kinds, settings.Errors) {
	t.Helper()
	f, b := block(t, "connector:\n  type: x\n"+lines)
	var k kinds
	b.Decode(&k)
	return k, f.Errors()
}

func TestDecodeFillsEveryKind(t *testing.T) {
	seven := 7
	minute := time.Minute
	tests := []struct {
		name, lines string
		got         func(kinds) any
		want        any
	}{
		{"string", "  str: plain\n", func(k kinds) any { return k.Str }, "plain"},
		{"string expanded", "  str: t_${NAME}_${NOPE:-x}\n", func(k kinds) any { return k.Str }, "t_orders_x"},
		{"dollar escape", "  str: a$$b\n", func(k kinds) any { return k.Str }, "a$b"},
		{"number as a string", "  str: 12\n", func(k kinds) any { return k.Str }, "12"},
		{"bool yes", "  bool: yes\n", func(k kinds) any { return k.Bool }, true},
		{"bool On", "  bool: On\n", func(k kinds) any { return k.Bool }, true},
		{"int with underscores", "  int: 1_000\n", func(k kinds) any { return k.Int }, 1000},
		{"negative int", "  int: -3\n", func(k kinds) any { return k.Int }, -3},
		{"int expanded", "  int: '${N}'\n", func(k kinds) any { return k.Int }, 42},
		{"int8", "  int8: -128\n", func(k kinds) any { return k.Int8 }, int8(-128)},
		{"uint16", "  uint16: 65535\n", func(k kinds) any { return k.Uint16 }, uint16(65535)},
		{"float", "  float: 2.5\n", func(k kinds) any { return k.Float }, 2.5},
		{"duration", "  dur: 1m30s\n", func(k kinds) any { return k.Dur }, 90 * time.Second},
		{"size", "  size: 64MiB\n", func(k kinds) any { return k.Size }, settings.Size(64 << 20)},
		{"list", "  list: [a, '${NAME}']\n", func(k kinds) any { return fmt.Sprint(k.List) }, "[a orders]"},
		{"single value as a list", "  list: id\n", func(k kinds) any { return fmt.Sprint(k.List) }, "[id]"},
		{"token from the environment", "  token: ${TOKEN}\n", func(k kinds) any { return k.Token.Reveal() }, "tok-Secret-1"},
		{"empty token", "  token: ''\n", func(k kinds) any { return k.Token.Reveal() }, ""},
		{"url without credentials", "  url: postgresql://loader@db/sales\n", func(k kinds) any { return k.URL.Reveal() }, "postgresql://loader@db/sales"},
		{"url with a password reference", "  url: 'postgresql://loader:${PGPASSWORD}@db/sales'\n", func(k kinds) any { return k.URL.Reveal() }, "postgresql://loader:pg-Secret-2@db/sales"},
		{"keyword string with a password reference", "  url: host=db password=${PGPASSWORD}\n", func(k kinds) any { return k.URL.Reveal() }, "host=db password=pg-Secret-2"},
		{"url from the environment", "  url: ${PGURL}\n", func(k kinds) any { return k.URL.Reveal() }, env["PGURL"]},
		{"pointer set", "  opt: 7\n", func(k kinds) any { return *k.Opt }, seven},
		{"pointer to a duration", "  opt_dur: 1m\n", func(k kinds) any { return *k.OptDur }, minute},
		{"pointer absent", "", func(k kinds) any { return k.Opt == nil }, true},
		{"pointer null", "  opt: ~\n", func(k kinds) any { return k.Opt == nil }, true},
		{"nested", "  nested: {a: x, b: 2}\n", func(k kinds) any { return k.Nested }, nested{"x", 2}},
		{"map", "  map: {x: 1, y: 2}\n", func(k kinds) any { return fmt.Sprint(k.Map) }, "map[x:1 y:2]"},
		{"map of lists", "  lists: {insert: [I, insert], delete: D}\n", func(k kinds) any { return fmt.Sprint(k.Lists) }, "map[delete:[D] insert:[I insert]]"},
		{"list of mappings", "  items:\n    - {a: x}\n    - {b: 3}\n", func(k kinds) any { return fmt.Sprint(k.Items) }, "[{x 0} { 3}]"},
		{"anchor and merge key", "  nested: &n {a: x}\n  items: [{<<: *n, b: 1}]\n", func(k kinds) any { return fmt.Sprint(k.Items) }, "[{x 1}]"},
		{"owned keys are the caller's", "  name: n\n  str: s\n", func(k kinds) any { return k.Str }, "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, errs := decode(t, tt.lines)
			if len(errs) > 0 {
				t.Fatalf("problems: %v", errs)
			}
			if got := tt.got(k); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeLeavesAbsentKeysAsTheyWere(t *testing.T) {
	f, b := block(t, "connector:\n  type: x\n  str: given\n  int: ~\n")
	k := kinds{Str: "default", Int: 5, Dur: time.Second, Untagged: "kept"}
	b.Decode(&k)
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if k.Str != "given" || k.Int != 5 || k.Dur != time.Second || k.Untagged != "kept" {
		t.Errorf("got %+v", k)
	}
}

// TestDecodeReportsEveryProblemWithItsLine gives one wrong value per case
// (from line 3 of the file); each is reported with the file, its line, the
// dotted key and what is wrong.
func TestDecodeReportsEveryProblemWithItsLine(t *testing.T) {
	tests := []struct {
		name, lines string
		want        string
		cause       error
	}{
		{"unknown key with a suggestion", "  strr: x\n", "p.yaml:3: connector.strr: unknown key; did you mean str?", settings.ErrUnknownKey},
		{"suggestion among the owned keys", "  nme: x\n", "p.yaml:3: connector.nme: unknown key; did you mean name?", settings.ErrUnknownKey},
		{"unknown key far from any", "  colour: blue\n", "p.yaml:3: connector.colour: unknown key", settings.ErrUnknownKey},
		{"unknown key in a nested block", "  nested:\n    c: 1\n", "p.yaml:4: connector.nested.c: unknown key", settings.ErrUnknownKey},
		{"key repeated", "  str: a\n  str: b\n", "p.yaml:4: connector.str: key repeated (first at line 3)", nil},
		{"a list for a string", "  str: [a]\n", "p.yaml:3: connector.str: want a single value, not a list", nil},
		{"a mapping for a list", "  list: {a: b}\n", "p.yaml:3: connector.list: want a list (or a single value), not a mapping", nil},
		{"a value for a block", "  nested: x\n", "p.yaml:3: connector.nested: want a mapping of keys (key: value), not a single value", nil},
		{"a value for a map", "  map: [1]\n", "p.yaml:3: connector.map: want a mapping of keys (key: value), not a list", nil},
		{"bad bool", "  bool: maybe\n", `p.yaml:3: connector.bool: "maybe" is not true or false`, nil},
		{"bad int", "  int: 1.5\n", `p.yaml:3: connector.int: "1.5" is not a whole number`, nil},
		{"int8 out of range", "  int8: 128\n", `p.yaml:3: connector.int8: "128" is not a whole number in range (-128 to 127)`, nil},
		{"negative uint", "  uint16: -1\n", `p.yaml:3: connector.uint16: "-1" is not a whole number of 0 or more`, nil},
		{"bad float", "  float: lots\n", `p.yaml:3: connector.float: "lots" is not a number`, nil},
		{"duration without unit", "  dur: 30\n", `p.yaml:3: connector.dur: "30" is not a duration: write a number with a unit`, nil},
		{"negative duration", "  dur: -1s\n", "p.yaml:3: connector.dur: must be positive, not -1s", nil},
		{"bad size", "  size: 16 parsecs\n", `p.yaml:3: connector.size: "16 parsecs": unknown unit "parsecs"`, nil},
		{"zero size", "  size: 0\n", "p.yaml:3: connector.size: must be at least 1 byte, not 0", nil},
		{"bad item in a list", "  items:\n    - {a: x}\n    - {b: x}\n", `p.yaml:5: connector.items[1].b: "x" is not a whole number`, nil},
		{"empty item in a list", "  list: [a, ~]\n", "p.yaml:3: connector.list[1]: empty item", nil},
		{"bad value in a map", "  map: {x: one}\n", `p.yaml:3: connector.map.x: "one" is not a whole number`, nil},
		{"bad value in a pointer", "  opt: seven\n", `p.yaml:3: connector.opt: "seven" is not a whole number`, nil},
		{"unset variable", "  str: ${NOPE}\n", "p.yaml:3: connector.str: environment variable not set: NOPE (set it, or write ${NOPE:-default})", settings.ErrUnsetVariable},
		{"unterminated reference", "  str: ${NAME\n", "p.yaml:3: connector.str: unterminated ${", nil},
		{"bad variable name", "  str: ${1X}\n", `p.yaml:3: connector.str: invalid variable reference: "1X" is not a variable name`, nil},
		{"value from the environment not quoted", "  int: '${NAME}'\n", `p.yaml:3: connector.int: "${NAME}" is not a whole number`, nil},
		{"token written in the file", "  token: tok-Secret-9\n", "p.yaml:3: connector.token: a credential is written in the file; put it in the environment (${API_TOKEN})", settings.ErrCredentialInFile},
		{"token with a default", "  token: ${T:-tok-Secret-9}\n", "p.yaml:3: connector.token: a credential is written in the file", settings.ErrCredentialInFile},
		{"half a reference", "  token: tok-${TOKEN}\n", "p.yaml:3: connector.token: a credential is written in the file", settings.ErrCredentialInFile},
		{"a list for a secret", "  token: [a]\n", "p.yaml:3: connector.token: want a single value, not a list", nil},
		{"password in a url", "  url: postgresql://u:pw-Secret-9@db/d\n", "p.yaml:3: connector.url: a password is written in the file; put it in the environment (write it as ${VAR})", settings.ErrCredentialInFile},
		{"password after digits and a slash", "  url: postgresql://u:2024/pw-Secret-9@db/d\n", "p.yaml:3: connector.url: a password is written in the file", settings.ErrCredentialInFile},
		{"password in the query", "  url: postgresql://u@db/d?password=pw-Secret-9\n", "p.yaml:3: connector.url: a password is written in the file", settings.ErrCredentialInFile},
		{"keyword password", "  url: host=db password=pw-Secret-9\n", "p.yaml:3: connector.url: a password is written in the file; put it in the environment (write it as ${VAR})", settings.ErrCredentialInFile},
		{"keyword string without a password", "  token: host=db user=loader\n", "p.yaml:3: connector.token: a credential is written in the file", settings.ErrCredentialInFile},
		{"ambiguous url from the environment", "  url: 'postgresql://u:${AMBIGUOUS}@db/d'\n", "p.yaml:3: connector.url: ambiguous URL: percent-encode", nil},
		{"credential key with a reference", "  password: ${PGPASSWORD}\n", "p.yaml:3: connector.password: unknown key: a credential goes into the token (${API_TOKEN}) or the url", settings.ErrUnknownKey},
		{"credential key written in the file", "  api_key: pw-Secret-9\n", "p.yaml:3: connector.api_key: a credential is written in the file; put it in the environment and reference it from the token (${API_TOKEN}) or the url", settings.ErrCredentialInFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := decode(t, tt.lines)
			if len(errs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(errs), errs)
			}
			if got := errs[0].Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if tt.cause != nil && !errors.Is(errs, tt.cause) {
				t.Errorf("errors.Is(%v) is false", tt.cause)
			}
			for _, s := range []string{"Secret-", "Kq7v", "Zx3w"} {
				if strings.Contains(errs.Error(), s) {
					t.Errorf("the message quotes a secret: %v", errs)
				}
			}
		})
	}
}

func TestDecodeReportsEveryProblemOfABlockInFileOrder(t *testing.T) {
	_, errs := decode(t, "  bool: maybe\n  int: x\n  colour: blue\n  nested: {a: [1], b: two}\n")
	var lines []string
	for _, e := range errs {
		lines = append(lines, fmt.Sprintf("%d:%s", e.Line, e.Key))
	}
	want := "[3:connector.bool 4:connector.int 5:connector.colour 6:connector.nested.a 6:connector.nested.b]"
	if got := fmt.Sprint(lines); got != want {
		t.Errorf("problems at %s, want %s\n%v", got, want, errs)
	}
}

func TestDecodeWithoutAComponentCredentialKey(t *testing.T) {
	type plain struct {
		Path string `yaml:"path"`
	}
	for doc, want := range map[string]string{
		"connector:\n  token: ${TOKEN}\n":   "p.yaml:2: connector.token: unknown key: this block takes no credential",
		"connector:\n  token: abc-123\n":    "p.yaml:2: connector.token: a credential is written in the file, and this block takes none: remove it",
		"connector:\n  pth: ./in\n":         "p.yaml:2: connector.pth: unknown key; did you mean path?",
		"connector:\n  path: [a]\n  x: 1\n": "p.yaml:2: connector.path: want a single value, not a list\np.yaml:3: connector.x: unknown key",
	} {
		f, b := block(t, doc)
		b.Decode(&plain{})
		if got := f.Errors().Error(); got != want {
			t.Errorf("%q:\ngot  %s\nwant %s", doc, got, want)
		}
	}
}

func TestBlockErrorfHasAndFailed(t *testing.T) {
	f, b := block(t, "connector:\n  type: x\n  str: ''\n  int: nope\n  opt: ~\n")
	var k kinds
	b.Decode(&k)
	if !b.Has("str") || b.Has("opt") || b.Has("dur") {
		t.Errorf("Has: str %v, opt (null) %v, dur (absent) %v", b.Has("str"), b.Has("opt"), b.Has("dur"))
	}
	if !b.Failed("int") || b.Failed("str") {
		t.Errorf("Failed: int %v, str %v", b.Failed("int"), b.Failed("str"))
	}
	cause := errors.New("the cause")
	b.Errorf("str", "must not be empty: %w", cause)
	b.Errorf("dur", "required: how long")
	b.Errorf("", "the block as a whole")
	errs := f.Errors()
	want := "p.yaml:1: connector.dur: required: how long\np.yaml:1: connector: the block as a whole\n" +
		"p.yaml:3: connector.str: must not be empty: the cause\np.yaml:4: connector.int: \"nope\" is not a whole number"
	if got := errs.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !errors.Is(errs, cause) {
		t.Error("the %w operand of Errorf is not the problem's cause")
	}
	if !b.Failed("str") {
		t.Error("Failed(str) is false after Errorf")
	}
	if b.Dir() != "/pipes" {
		t.Errorf("Dir() = %q", b.Dir())
	}
	if v, ok := b.Lookup("NAME"); !ok || v != "orders" {
		t.Errorf("Lookup(NAME) = %q, %v", v, ok)
	}
}

func TestKeysListsTheKeysADecodeTakes(t *testing.T) {
	got := settings.Keys(func(b *settings.Block) nested {
		var n nested
		b.Decode(&n)
		b.Errorf("a", "required")
		return n
	})
	if fmt.Sprint(got) != "[a b]" {
		t.Errorf("Keys = %v, want [a b]", got)
	}
}

func TestSecretsFindsEverySecretOfAValue(t *testing.T) {
	type inner struct {
		Keys []settings.Secret
		Map  map[string]settings.Secret
	}
	type outer struct {
		URL    settings.Secret
		Empty  settings.Secret
		Ptr    *inner
		Any    any
		hidden settings.Secret
	}
	v := outer{
		URL: "u",
		Ptr: &inner{Keys: []settings.Secret{"k1", "k2"}, Map: map[string]settings.Secret{"b": "m2", "a": "m1"}},
		Any: inner{Keys: []settings.Secret{"k3"}}, hidden: "h",
	}
	if got := fmt.Sprint(settings.Secrets(v)); got != "[REDACTED REDACTED REDACTED REDACTED REDACTED REDACTED]" {
		t.Fatalf("Secrets printed %s", got)
	}
	var revealed []string
	for _, s := range settings.Secrets(&v) {
		revealed = append(revealed, s.Reveal())
	}
	if got := strings.Join(revealed, " "); got != "u k1 k2 m1 m2 k3" {
		t.Errorf("Secrets = %s, want u k1 k2 m1 m2 k3", got)
	}
	if got := settings.Secrets(nil); got != nil {
		t.Errorf("Secrets(nil) = %v", got)
	}
}

func TestDecodePanicsOnAMistakeInTheComponent(t *testing.T) {
	type unsupported struct {
		C chan int `yaml:"c"`
	}
	type unexported struct {
		c string `yaml:"c"`
	}
	for name, v := range map[string]any{
		"not a pointer":     kinds{},
		"not a struct":      new(string),
		"nil pointer":       (*kinds)(nil),
		"unsupported type":  &unsupported{},
		"unexported tagged": &unexported{},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			_, b := block(t, "connector:\n  c: 1\n")
			b.Decode(v)
		})
	}
	_ = unexported{}.c
}

func TestSecretNeverPrints(t *testing.T) {
	s := settings.Secret("postgres://u:pw-Secret-1@db/d")
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %q %+v %#v", s, s, s, s, s)} {
		if strings.Contains(out, "pw-Secret-1") || !strings.Contains(out, "REDACTED") {
			t.Errorf("printed %s", out)
		}
	}
	if s.Reveal() != "postgres://u:pw-Secret-1@db/d" {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}
