package config_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
)

// memo is a destination type that only this test knows: one package (this
// file) and one registration, and no change to pkg/config.
type memo struct {
	Bucket  string          `yaml:"bucket"`
	Token   settings.Secret `yaml:"token" credential:"${MEMO_TOKEN}"`
	Timeout time.Duration   `yaml:"timeout"`
	Tags    []string        `yaml:"tags"`
}

// memoDestination is what memo opens: its settings and environment.
type memoDestination struct {
	destination.Destination
	cfg memo
	env destination.Env
}

func (c memo) Open(_ context.Context, env destination.Env) (destination.Destination, error) {
	return &memoDestination{cfg: c, env: env}, nil
}

func init() {
	destination.Register(destination.Info{
		Type: "memo", Aliases: []string{"memory-store"}, Label: "Memo", Atomicity: destination.PerTable,
		Decode: func(b *settings.Block) destination.Config {
			c := memo{Timeout: time.Minute}
			b.Decode(&c)
			if c.Bucket == "" && !b.Failed("bucket") {
				b.Errorf("bucket", "required: the bucket to write to")
			}
			return c
		},
	})
}

// TestADestinationTypeIsOnePackageAndOneRegistration loads pipelines that
// name a destination type registered by this test alone: its own keys are
// read with the same rules and messages as every key of pipeline.yaml.
func TestADestinationTypeIsOnePackageAndOneRegistration(t *testing.T) {
	vars := map[string]string{"MEMO_TOKEN": "memo-Secret-1"}
	doc := "name: p\nsource: {path: ./in}\nconnector:\n  type: Memory-Store\n  bucket: b1\n  token: ${MEMO_TOKEN}\n  tags: [x, y]\n  write_mode: truncate\n"
	p, dir := mustParse(t, doc, vars)
	d := p.Destinations[0]
	want := memo{Bucket: "b1", Token: "memo-Secret-1", Timeout: time.Minute, Tags: []string{"x", "y"}}
	if d.Name != "memo" || d.Type != "memo" || d.WriteMode != "truncate" {
		t.Errorf("destination %+v, want name and type memo, write_mode truncate", d)
	}
	got, ok := d.Settings.(memo)
	if !ok || got.Bucket != want.Bucket || got.Token != want.Token || got.Timeout != want.Timeout || !slices.Equal(got.Tags, want.Tags) {
		t.Fatalf("settings %+v, want %+v", d.Settings, want)
	}
	if !slices.Contains(p.Secrets(), "memo-Secret-1") {
		t.Errorf("Secrets() = %q lacks the token", p.Secrets())
	}
	opened, err := d.Settings.Open(t.Context(), destination.Env{Name: d.Name, Dir: p.Dir})
	if md, ok := opened.(*memoDestination); err != nil || !ok || md.env.Name != "memo" || md.env.Dir != dir || md.cfg.Bucket != "b1" {
		t.Errorf("Settings.Open = %+v, %v", opened, err)
	}

	for _, tc := range []struct {
		name, block, want string
		cause             error
	}{
		{"unknown key with a suggestion", "  - {name: m, type: memo, bucket: b, tmeout: 5s}\n",
			"pipeline.yaml:4: destinations[0].tmeout: unknown key; did you mean timeout?", settings.ErrUnknownKey},
		{"the pipeline's key misspelt", "  - {name: m, type: memo, bucket: b, write-mode: append}\n",
			"pipeline.yaml:4: destinations[0].write-mode: unknown key; did you mean write_mode?", settings.ErrUnknownKey},
		{"token written in the file", "  - {name: m, type: memo, bucket: b, token: memo-Secret-2}\n",
			"pipeline.yaml:4: destinations[0].token: a credential is written in the file; put it in the environment (${MEMO_TOKEN})", settings.ErrCredentialInFile},
		{"a bad duration", "  - name: m\n    type: memo\n    bucket: b\n    timeout: 5\n",
			`pipeline.yaml:7: destinations[0].timeout: "5" is not a duration`, nil},
		{"the component's own validation", "  - name: m\n    type: memo\n",
			"pipeline.yaml:4: destinations[0].bucket: required: the bucket to write to", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, "name: p\nsource: {path: ./in}\ndestinations:\n"+tc.block, vars)
			wantErrs(t, err, tc.want)
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d problems, want 1:\n%v", n, err)
			}
			if strings.Contains(err.Error(), "memo-Secret") {
				t.Errorf("the message quotes the token: %v", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("errors.Is(%v) is false", tc.cause)
			}
		})
	}
	t.Run("its keys at the top level point to the connector: block", func(t *testing.T) {
		_, _, err := parse(t, base+"bucket: b\n", vars)
		wantErrs(t, err, "pipeline.yaml:4: bucket: unknown key; it belongs in the connector: block")
	})
	t.Run("the known types include it", func(t *testing.T) {
		_, _, err := parse(t, "name: p\nsource: {path: ./in}\nconnector: {type: mem0}\n", vars)
		wantErrs(t, err, `pipeline.yaml:3: connector.type: unknown destination type "mem0" (known: memo, postgres, sqlite); did you mean memo?`)
	})
}

// objstore is a source type that only this test knows, shaped like an
// object store's (issue 13 adds s3, gcs, azure, sftp and ftp this way).
type objstore struct {
	Container string          `yaml:"container"`
	Prefix    string          `yaml:"prefix"`
	SecretKey settings.Secret `yaml:"secret_key" credential:"${OBJ_SECRET_KEY}"`
}

func (objstore) Open(context.Context, source.Env) (source.Source, error) {
	return nil, errStandIn
}

func (c objstore) String() string { return "obj://" + c.Container + "/" + c.Prefix }

func init() {
	source.Register(source.Info{Type: "objstore", Decode: func(b *settings.Block) source.Config {
		var c objstore
		b.Decode(&c)
		if c.Container == "" && !b.Failed("container") {
			b.Errorf("container", "required: the container to load files from")
		}
		return c
	}})
}

// TestASourceTypeIsOnePackageAndOneRegistration loads pipelines whose
// source is of a type registered by this test alone; the pipeline's own
// keys of the block (type, pattern) and file_pattern apply to it as to any.
func TestASourceTypeIsOnePackageAndOneRegistration(t *testing.T) {
	vars := map[string]string{"OBJ_SECRET_KEY": "obj-Secret-1"}
	p, _ := mustParse(t, "name: p\nsource: {type: ObjStore, container: c1, prefix: in/, secret_key: '${OBJ_SECRET_KEY}'}\nfile_pattern: '*.csv'\nconnector: {type: sqlite, url: x.db}\n", vars)
	if p.Source.Type != "objstore" || p.Source.Settings != (objstore{Container: "c1", Prefix: "in/", SecretKey: "obj-Secret-1"}) || !p.Source.Pattern.MatchString("a/b.csv") {
		t.Errorf("source %+v", p.Source)
	}
	if p.Source.Settings.String() != "obj://c1/in/" {
		t.Errorf("String() = %q", p.Source.Settings)
	}
	if !slices.Contains(p.Secrets(), "obj-Secret-1") {
		t.Errorf("Secrets() = %q lacks the secret key", p.Secrets())
	}
	for _, tc := range []struct{ name, source, want string }{
		{"unknown key with a suggestion", "source:\n  type: objstore\n  container: c\n  prefx: in/\n", "pipeline.yaml:5: source.prefx: unknown key; did you mean prefix?"},
		{"secret written in the file", "source:\n  type: objstore\n  container: c\n  secret_key: obj-Secret-2\n", "pipeline.yaml:5: source.secret_key: a credential is written in the file; put it in the environment (${OBJ_SECRET_KEY})"},
		{"the component's own validation", "source:\n  type: objstore\n  pattern: x\n", "pipeline.yaml:2: source.container: required: the container to load files from"},
		{"the pipeline's key misspelt", "source:\n  type: objstore\n  container: c\n  patern: x\n", "pipeline.yaml:5: source.patern: unknown key; did you mean pattern?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, "name: p\n"+tc.source+"connector: {type: sqlite, url: x.db}\n", vars)
			wantErrs(t, err, tc.want)
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Errorf("%d problems, want 1:\n%v", n, err)
			}
			if strings.Contains(err.Error(), "obj-Secret") {
				t.Errorf("the message quotes the secret: %v", err)
			}
		})
	}
	t.Run("its keys at the top level point to the source: block", func(t *testing.T) {
		_, _, err := parse(t, base+"prefix: in/\n", vars)
		wantErrs(t, err, "pipeline.yaml:4: prefix: unknown key; it belongs in the source: block")
	})
}
