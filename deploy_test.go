package filedge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination/postgres"
)

// No container engine runs where the tests do, so these tests read the
// deployment files the way Docker Compose, BuildKit and Kubernetes would and
// check what would otherwise only fail on a user's machine: commands that
// name a subcommand or destination filedge does not have, a config file that
// is not mounted, unpinned images, literal credentials.

const (
	composeFile     = "docker-compose.yml"
	dockerfile      = "deploy/Dockerfile"
	natsConf        = "deploy/nats/nats.conf"
	k8sDir          = "deploy/k8s"
	composePipeline = "deploy/pipeline.compose.yaml"
)

// subcommands are the filedge subcommands a deployment may run.
var subcommands = []string{"run", "watcher", "parser", "sink"}

// stages are the subcommands a split deployment must run somewhere.
var stages = []string{"watcher", "parser", "sink"}

// composeSpec is the part of a Compose file these tests read.
type composeSpec struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// mountedFile returns the content of the file a container sees at path, and
// false when nothing mounted there is a readable file of the repository.
type mountedFile func(path string) ([]byte, bool)

// readFile reads a repository file, failing the test when it is missing.
func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return data
}

// decodeYAML decodes every document of a YAML stream into node trees.
func decodeYAML(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
}

// secretKey matches keys and variable names that hold credentials.
var secretKey = regexp.MustCompile(`(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|credential)`)

// envReference matches a value that only names an environment variable:
// ${VAR}, ${VAR:?message} or ${VAR?message}. A ${VAR:-default} would carry a
// literal fallback, so it does not count.
var envReference = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$`)

// urlUserinfo finds the user:password@ part of URLs inside a value.
var urlUserinfo = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://([^/@\s]*)@`)

// literalSecrets walks a YAML tree and returns where it holds a credential
// written out rather than taken from the environment: the value of a
// credential key (also as KEY=VALUE list items and Kubernetes name/value
// pairs) and the password of any URL. Values are never quoted back.
func literalSecrets(file string, root *yaml.Node) []string {
	var found []string
	report := func(n *yaml.Node, what string) {
		found = append(found, fmt.Sprintf("%s:%d: %s is written out; take it from the environment (${VAR}) or a Secret", file, n.Line, what))
	}
	checkValue := func(key string, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return
		}
		if secretKey.MatchString(key) && !envReference.MatchString(v.Value) {
			report(v, key)
		}
		for _, m := range urlUserinfo.FindAllStringSubmatch(v.Value, -1) {
			if _, password, ok := strings.Cut(m[1], ":"); ok && !envReference.MatchString(password) {
				report(v, "the password of a URL in "+key)
			}
		}
	}
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, key)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if c.Kind == yaml.ScalarNode {
					if k, v, ok := strings.Cut(c.Value, "="); ok && !strings.ContainsAny(k, " /") {
						checkValue(k, &yaml.Node{Kind: yaml.ScalarNode, Value: v, Line: c.Line})
						continue
					}
				}
				walk(c, key)
			}
		case yaml.MappingNode:
			var name, value *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch k.Value {
				case "name":
					name = v
				case "value":
					value = v
				}
				if v.Kind == yaml.ScalarNode {
					checkValue(k.Value, v)
				} else {
					walk(v, k.Value)
				}
			}
			if name != nil && value != nil && name.Kind == yaml.ScalarNode {
				checkValue(name.Value, value)
			}
		case yaml.ScalarNode:
			checkValue(key, n)
		}
	}
	walk(root, "")
	return found
}

// flagValue returns the value of a flag given as "-c X", "--config X" or
// "--config=X", and whether the flag is there.
func flagValue(args []string, names ...string) (string, bool) {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

// pipelineDestinations returns the destination names of a pipeline.yaml: the
// entries of destinations: or the connector: block, each named after its
// type unless it has a name.
func pipelineDestinations(data []byte) ([]string, error) {
	var p struct {
		Destinations []struct {
			Name string `yaml:"name"`
			Type string `yaml:"type"`
		} `yaml:"destinations"`
		Connector *struct {
			Name string `yaml:"name"`
			Type string `yaml:"type"`
		} `yaml:"connector"`
	}
	if err := yaml.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	var names []string
	for _, d := range p.Destinations {
		names = append(names, cmpOr(d.Name, d.Type))
	}
	if p.Connector != nil {
		names = append(names, cmpOr(p.Connector.Name, p.Connector.Type))
	}
	return names, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkFiledgeArgs checks the arguments a container passes to /filedge: a
// real subcommand, -c naming a mounted pipeline file, and for a sink a
// --destination that the pipeline defines. It returns the subcommand.
func checkFiledgeArgs(args []string, mounted mountedFile) (string, error) {
	if len(args) == 0 {
		return "", errors.New("no command: the image's entrypoint needs a subcommand")
	}
	sub := args[0]
	if !slices.Contains(subcommands, sub) {
		return "", fmt.Errorf("%q is not a filedge subcommand (want one of %v)", sub, subcommands)
	}
	cfg, ok := flagValue(args[1:], "-c", "--config")
	if !ok {
		return sub, fmt.Errorf("%s has no -c FILE", sub)
	}
	pipeline, ok := mounted(cfg)
	if !ok {
		return sub, fmt.Errorf("-c %s: no file of the repository is mounted there", cfg)
	}
	dests, err := pipelineDestinations(pipeline)
	if err != nil {
		return sub, fmt.Errorf("-c %s: %w", cfg, err)
	}
	if len(dests) == 0 {
		return sub, fmt.Errorf("-c %s: the pipeline has no destination", cfg)
	}
	if sub == "sink" {
		dest, ok := flagValue(args[1:], "--destination", "-d")
		if !ok {
			return sub, errors.New("sink has no --destination NAME")
		}
		if !slices.Contains(dests, dest) {
			return sub, fmt.Errorf("sink --destination %s: the pipeline at %s has only %v", dest, cfg, dests)
		}
	}
	return sub, nil
}

// binaryFlags returns the flags of every subcommand of the filedge binary
// built from this repository (long and short names, without dashes), read
// from `filedge SUB --help`, so that a deployment cannot pass a flag the
// binary does not have.
var binaryFlags = sync.OnceValues(func() (map[string][]string, error) {
	dir, err := os.MkdirTemp("", "filedge-deploy-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "filedge")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/filedge").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/filedge: %v\n%s", err, out)
	}
	flag := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([\w-]+)`)
	flags := map[string][]string{}
	for _, sub := range subcommands {
		out, err := exec.Command(bin, sub, "--help").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("filedge %s --help: %v\n%s", sub, err, out)
		}
		for _, m := range flag.FindAllStringSubmatch(string(out), -1) {
			if m[1] != "" {
				flags[sub] = append(flags[sub], m[1])
			}
			flags[sub] = append(flags[sub], m[2])
		}
	}
	return flags, nil
})

// checkFlags checks that every flag in args (a subcommand and its
// arguments) is one the subcommand has, as flags lists them per
// subcommand.
func checkFlags(args []string, flags map[string][]string) error {
	if len(args) == 0 {
		return errors.New("no command")
	}
	sub, known := args[0], flags[args[0]]
	for _, a := range args[1:] {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(known, name) {
			return fmt.Errorf("filedge %s has no flag %s", sub, a)
		}
	}
	return nil
}

// healthPort returns the port that --http-addr in args names ("" when the
// flag is missing).
func healthPort(args []string) string {
	addr, ok := flagValue(args, "--http-addr")
	if !ok {
		return ""
	}
	_, port, _ := strings.Cut(addr, ":")
	return port
}

// pinned reports whether an image reference names a tag other than latest,
// or a digest.
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	last := image[strings.LastIndex(image, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	return ok && tag != "" && tag != "latest"
}

// splitVolume splits a Compose short volume "SRC:DST[:MODE]", where SRC may
// hold ${VAR:-default} with colons of its own.
func splitVolume(v string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch {
		case strings.HasPrefix(v[i:], "${"):
			depth++
			i++
		case v[i] == '}' && depth > 0:
			depth--
		case v[i] == ':' && depth == 0:
			parts = append(parts, v[start:i])
			start = i + 1
		}
	}
	return append(parts, v[start:])
}

// composeMounts returns a mountedFile for a Compose service: a bind mount of
// a repository file at exactly the path asked for.
func composeMounts(s composeService) mountedFile {
	return func(p string) ([]byte, bool) {
		for _, v := range s.Volumes {
			parts := splitVolume(v)
			if len(parts) < 2 || parts[1] != p || !strings.HasPrefix(parts[0], "./") {
				continue
			}
			data, err := os.ReadFile(filepath.FromSlash(parts[0]))
			return data, err == nil
		}
		return nil, false
	}
}

func loadCompose(t *testing.T) composeSpec {
	t.Helper()
	var c composeSpec
	if err := yaml.Unmarshal(readFile(t, composeFile), &c); err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	return c
}

// isFiledge reports whether a Compose service runs the filedge image.
func isFiledge(s composeService) bool {
	return path.Clean(s.Build.Dockerfile) == dockerfile || strings.HasPrefix(s.Image, "filedge/")
}

// TestComposeServicesRunRealSubcommandsWithMountedConfig checks every
// filedge service of docker-compose.yml: a real subcommand, -c on a mounted
// pipeline file, a sink destination the pipeline defines, the bus address,
// and start-up after a healthy NATS (and PostgreSQL for sinks).
func TestComposeServicesRunRealSubcommandsWithMountedConfig(t *testing.T) {
	c := loadCompose(t)
	var ran []string
	for name, s := range c.Services {
		if !isFiledge(s) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			sub, err := checkFiledgeArgs(s.Command, composeMounts(s))
			if err != nil {
				t.Fatalf("%s: service %s: %v", composeFile, name, err)
			}
			ran = append(ran, sub)
			flags, err := binaryFlags()
			if err != nil {
				t.Fatal(err)
			}
			if err := checkFlags(s.Command, flags); err != nil {
				t.Errorf("%s: service %s: %v", composeFile, name, err)
			}
			if s.Environment["FILEDGE_NATS_URL"] == "" {
				t.Errorf("%s: service %s: FILEDGE_NATS_URL is not set", composeFile, name)
			}
			if s.DependsOn["nats"].Condition != "service_healthy" {
				t.Errorf("%s: service %s: depends_on nats must wait for condition service_healthy", composeFile, name)
			}
			if sub == "sink" && s.DependsOn["postgres"].Condition != "service_healthy" {
				t.Errorf("%s: service %s: depends_on postgres must wait for condition service_healthy", composeFile, name)
			}
			if _, err := os.Stat(filepath.FromSlash(s.Build.Dockerfile)); s.Build.Dockerfile != "" && err != nil {
				t.Errorf("%s: service %s: build.dockerfile: %v", composeFile, name, err)
			}
		})
	}
	for _, stage := range stages {
		if !slices.Contains(ran, stage) {
			t.Errorf("%s: no service runs `filedge %s`", composeFile, stage)
		}
	}
}

// TestComposeInfrastructureIsPinnedAndHealthChecked checks that every image
// names a tag, that NATS and PostgreSQL have healthchecks the other services
// can wait on, that every depends_on names a service, and that every named
// volume is declared.
func TestComposeInfrastructureIsPinnedAndHealthChecked(t *testing.T) {
	c := loadCompose(t)
	for _, infra := range []string{"nats", "postgres"} {
		s, ok := c.Services[infra]
		if !ok {
			t.Errorf("%s: no %s service", composeFile, infra)
			continue
		}
		if s.Healthcheck == nil || len(s.Healthcheck.Test) == 0 {
			t.Errorf("%s: service %s has no healthcheck", composeFile, infra)
		}
	}
	for name, s := range c.Services {
		if !pinned(s.Image) {
			t.Errorf("%s: service %s: image %q is not pinned to a tag", composeFile, name, s.Image)
		}
		for dep, d := range s.DependsOn {
			target, ok := c.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s: service %s depends on %s, which is not a service", composeFile, name, dep)
			case d.Condition == "service_healthy" && target.Healthcheck == nil:
				t.Errorf("%s: service %s waits for %s to be healthy, which has no healthcheck", composeFile, name, dep)
			}
		}
		for _, v := range s.Volumes {
			src := splitVolume(v)[0]
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") || strings.HasPrefix(src, "$") {
				continue
			}
			if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: service %s mounts volume %s, which is not declared under volumes:", composeFile, name, src)
			}
		}
	}
	nats := c.Services["nats"]
	if conf, ok := flagValue(nats.Command, "-c", "--config"); ok {
		if _, ok := composeMounts(nats)(conf); !ok {
			t.Errorf("%s: nats -c %s: %s is not mounted there", composeFile, conf, natsConf)
		}
	}
}

// TestDeploymentFilesHoldNoLiteralSecrets scans every YAML file under deploy
// and the Compose file, including the pipeline embedded in the ConfigMap,
// for credentials written out.
func TestDeploymentFilesHoldNoLiteralSecrets(t *testing.T) {
	files := []string{composeFile, composePipeline}
	k8s, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(k8s) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	files = append(files, k8s...)
	for _, f := range files {
		docs, err := decodeYAML(readFile(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range docs {
			for _, leak := range literalSecrets(f, d) {
				t.Error(leak)
			}
		}
	}
	for _, o := range loadManifests(t) {
		if o.Kind == "Secret" && (len(o.Data) > 0 || len(o.StringData) > 0) {
			t.Errorf("%s: Secret %s holds data: create it with kubectl, never commit it", o.file, o.Metadata.Name)
		}
		for key, pipeline := range o.Data {
			docs, err := decodeYAML([]byte(pipeline))
			if err != nil {
				continue // not YAML: nothing to walk
			}
			for _, d := range docs {
				for _, leak := range literalSecrets(o.file+" ("+o.Metadata.Name+"/"+key+")", d) {
					t.Error(leak)
				}
			}
		}
	}
}

// TestLiteralSecretsFindsWrittenOutCredentials proves the scanner above: it
// must flag each way a credential can be written out and let references by.
func TestLiteralSecretsFindsWrittenOutCredentials(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		leaks int
	}{
		{"password from the environment", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}", 0},
		{"password required from the environment", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it}", 0},
		{"password written out", "POSTGRES_PASSWORD: hunter2", 1},
		{"password with a literal default", "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-hunter2}", 1},
		{"URL whose password is a reference", "url: postgres://u:${PW}@db:5432/x", 0},
		{"URL without a password", "url: postgres://u@db:5432/x", 0},
		{"URL with a written-out password", "DATABASE_URL: postgres://u:hunter2@db:5432/x", 1},
		{"environment list item", "environment: [\"API_TOKEN=abc\"]", 1},
		{"Kubernetes name/value pair", "env: [{name: DB_PASSWORD, value: hunter2}]", 1},
		{"Kubernetes secretKeyRef", "env: [{name: DATABASE_URL, valueFrom: {secretKeyRef: {name: db, key: DATABASE_URL}}}]", 0},
		{"unrelated keys", "image: postgres:16\nPOSTGRES_USER: filedge", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := decodeYAML([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := literalSecrets("x.yaml", docs[0])
			if len(got) != tt.leaks {
				t.Errorf("found %d (%v), want %d", len(got), got, tt.leaks)
			}
			for _, g := range got {
				if strings.Contains(g, "hunter2") || strings.Contains(g, "abc") {
					t.Errorf("report quotes the secret: %s", g)
				}
			}
		})
	}
}

// TestCheckFiledgeArgsRejectsBrokenCommands proves the command check: each
// broken command is refused with a reason, a good one passes.
func TestCheckFiledgeArgsRejectsBrokenCommands(t *testing.T) {
	pipeline := []byte("name: p\ndestinations:\n  - name: warehouse\n    type: postgres\n")
	mounted := func(p string) ([]byte, bool) { return pipeline, p == "/config/pipeline.yaml" }
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"sink of a defined destination", []string{"sink", "--destination", "warehouse", "-c", "/config/pipeline.yaml"}, ""},
		{"parser with --config=", []string{"parser", "--config=/config/pipeline.yaml"}, ""},
		{"no command", nil, "no command"},
		{"unknown subcommand", []string{"serve", "-c", "/config/pipeline.yaml"}, "not a filedge subcommand"},
		{"no config flag", []string{"watcher"}, "no -c FILE"},
		{"config not mounted", []string{"watcher", "-c", "/etc/pipeline.yaml"}, "no file of the repository is mounted"},
		{"sink without destination", []string{"sink", "-c", "/config/pipeline.yaml"}, "no --destination"},
		{"sink of an unknown destination", []string{"sink", "--destination", "lake", "-c", "/config/pipeline.yaml"}, "has only [warehouse]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkFiledgeArgs(tt.args, mounted)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestImagePinningAndVolumeSplitting proves the helpers that read image
// references and Compose volumes.
func TestImagePinningAndVolumeSplitting(t *testing.T) {
	for image, want := range map[string]bool{
		"postgres:16": true, "nats:2.10-alpine": true, "ghcr.io/filedge/filedge:v0.1.0": true,
		"localhost:5000/filedge@sha256:abc": true, "postgres": false, "postgres:latest": false,
		"localhost:5000/filedge": false, "": false,
	} {
		if got := pinned(image); got != want {
			t.Errorf("pinned(%q) = %v, want %v", image, got, want)
		}
	}
	got := splitVolume("${FILEDGE_DATA_DIR:-./examples/data}:/data/in:ro")
	want := []string{"${FILEDGE_DATA_DIR:-./examples/data}", "/data/in", "ro"}
	if !slices.Equal(got, want) {
		t.Errorf("splitVolume = %q, want %q", got, want)
	}
}

// TestDockerfileBuildsStaticNonRootImageWithModuleGoVersion checks
// deploy/Dockerfile: the build stage's Go equals go.mod's go line
// (major.minor), the binary is built without cgo from ./cmd/filedge, and the
// final stage runs it as a non-root user.
func TestDockerfileBuildsStaticNonRootImageWithModuleGoVersion(t *testing.T) {
	gomod := readFile(t, "go.mod")
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	goVersion := string(m[1])

	text := strings.ReplaceAll(string(readFile(t, dockerfile)), "\\\n", " ")
	var froms []string
	var lastStage []string // instructions after the last FROM
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			froms = append(froms, strings.Fields(f)[0])
			lastStage = nil
			continue
		}
		lastStage = append(lastStage, line)
	}
	if len(froms) < 2 {
		t.Fatalf("%s: want a multi-stage build, found FROM %v", dockerfile, froms)
	}
	if want := "golang:" + goVersion; froms[0] != want && !strings.HasPrefix(froms[0], want+"-") && !strings.HasPrefix(froms[0], want+".") {
		t.Errorf("%s: build stage FROM %s, want golang:%s (go.mod's go line)", dockerfile, froms[0], goVersion)
	}
	for _, f := range froms {
		if !pinned(f) {
			t.Errorf("%s: FROM %s is not pinned to a tag", dockerfile, f)
		}
	}
	if final := froms[len(froms)-1]; strings.HasPrefix(final, "golang:") {
		t.Errorf("%s: the final stage is the Go toolchain image %s", dockerfile, final)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/filedge"} {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the build does not use %s", dockerfile, want)
		}
	}
	var user, entrypoint string
	for _, ins := range lastStage {
		if u, ok := strings.CutPrefix(ins, "USER "); ok {
			user = strings.TrimSpace(u)
		}
		if e, ok := strings.CutPrefix(ins, "ENTRYPOINT "); ok {
			entrypoint = strings.TrimSpace(e)
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "root" || name == "0" {
		t.Errorf("%s: the final stage runs as %q; want a non-root USER", dockerfile, user)
	}
	if entrypoint != `["/filedge"]` {
		t.Errorf(`%s: ENTRYPOINT %s, want ["/filedge"]`, dockerfile, entrypoint)
	}
}

// TestNATSConfigEnablesDurableJetStream loads deploy/nats/nats.conf with the
// nats-server library: it must parse, enable JetStream, fsync before
// acknowledging, and keep the bus message limit at 1 MiB.
func TestNATSConfigEnablesDurableJetStream(t *testing.T) {
	opts, err := server.ProcessConfigFile(natsConf)
	if err != nil {
		t.Fatalf("%s: %v", natsConf, err)
	}
	if !opts.JetStream {
		t.Errorf("%s: JetStream is not enabled", natsConf)
	}
	if !opts.SyncAlways {
		t.Errorf("%s: jetstream.sync_interval is not always: an acknowledged message could be lost on power loss", natsConf)
	}
	if opts.MaxPayload != 1<<20 {
		t.Errorf("%s: max_payload = %d, want 1MB (the bus message limit filedge cuts batches to)", natsConf, opts.MaxPayload)
	}
}

// k8sObject is the part of a Kubernetes object these tests read.
type k8sObject struct {
	file       string
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Resources  []string          `yaml:"resources"`
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Template struct {
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sPodSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []k8sContainer `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

type k8sEnvVar struct {
	Name      string `yaml:"name"`
	Value     string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type k8sContainer struct {
	Name    string      `yaml:"name"`
	Image   string      `yaml:"image"`
	Command []string    `yaml:"command"`
	Args    []string    `yaml:"args"`
	Env     []k8sEnvVar `yaml:"env"`
	Ports   []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a number or a port's name
	} `yaml:"httpGet"`
}

// checkProbes checks that a filedge container serves its health endpoints
// (--http-addr) and that Kubernetes probes them there: readiness on
// /readyz, liveness on /healthz.
func checkProbes(c k8sContainer, args []string) error {
	port := healthPort(args)
	if port == "" {
		return errors.New("no --http-addr: the probes have nothing to ask")
	}
	for _, p := range []struct {
		what, path string
		probe      *k8sProbe
	}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			return fmt.Errorf("no %s.httpGet", p.what)
		}
		if p.probe.HTTPGet.Path != p.path {
			return fmt.Errorf("%s asks %s, want %s", p.what, p.probe.HTTPGet.Path, p.path)
		}
		target := p.probe.HTTPGet.Port
		for _, cp := range c.Ports {
			if cp.Name != "" && cp.Name == target {
				target = strconv.Itoa(cp.ContainerPort)
			}
		}
		if target != port {
			return fmt.Errorf("%s asks port %s, but --http-addr listens on %s", p.what, p.probe.HTTPGet.Port, port)
		}
	}
	return nil
}

// loadManifests decodes every object of deploy/k8s/*.yaml.
func loadManifests(t *testing.T) []k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	var objs []k8sObject
	for _, f := range files {
		dec := yaml.NewDecoder(bytes.NewReader(readFile(t, f)))
		for {
			o := k8sObject{file: f}
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				t.Fatalf("%s: an object without kind", f)
			}
			objs = append(objs, o)
		}
	}
	return objs
}

// podMounts returns a mountedFile for a container: a ConfigMap key under the
// path of a volume mount (whole ConfigMap or subPath).
func podMounts(pod k8sPodSpec, c k8sContainer, configMaps map[string]map[string]string) mountedFile {
	return func(p string) ([]byte, bool) {
		for _, m := range c.VolumeMounts {
			key := ""
			switch {
			case m.SubPath != "" && m.MountPath == p:
				key = m.SubPath
			case m.SubPath == "" && path.Dir(p) == path.Clean(m.MountPath):
				key = path.Base(p)
			default:
				continue
			}
			for _, v := range pod.Volumes {
				if v.Name != m.Name || v.ConfigMap == nil {
					continue
				}
				if data, ok := configMaps[v.ConfigMap.Name][key]; ok {
					return []byte(data), true
				}
			}
		}
		return nil, false
	}
}

// TestKubernetesDeploymentsRunEveryStageSafely checks deploy/k8s: every
// stage has a Deployment whose container runs a real subcommand on the
// ConfigMap's pipeline, as non-root, from a pinned image, with the bus
// address set and credentials only from Secret references; and the
// kustomization lists every manifest.
func TestKubernetesDeploymentsRunEveryStageSafely(t *testing.T) {
	objs := loadManifests(t)
	configMaps := map[string]map[string]string{}
	for _, o := range objs {
		if o.Kind == "ConfigMap" {
			configMaps[o.Metadata.Name] = o.Data
		}
	}
	var ran []string
	for _, o := range objs {
		if o.Kind != "Deployment" {
			continue
		}
		t.Run(o.Metadata.Name, func(t *testing.T) {
			pod := o.Spec.Template.Spec
			if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
				t.Errorf("%s: %s: the pod does not set runAsNonRoot: true", o.file, o.Metadata.Name)
			}
			if len(pod.Containers) == 0 {
				t.Fatalf("%s: %s: no containers", o.file, o.Metadata.Name)
			}
			for _, c := range pod.Containers {
				if !pinned(c.Image) {
					t.Errorf("%s: %s: image %q is not pinned to a tag", o.file, c.Name, c.Image)
				}
				args := c.Args
				if len(c.Command) > 0 {
					if c.Command[0] != "/filedge" {
						t.Errorf("%s: %s: command %v does not run /filedge", o.file, c.Name, c.Command)
					}
					args = slices.Concat(c.Command[1:], c.Args)
				}
				sub, err := checkFiledgeArgs(args, podMounts(pod, c, configMaps))
				if err != nil {
					t.Errorf("%s: container %s: %v", o.file, c.Name, err)
				}
				ran = append(ran, sub)
				flags, err := binaryFlags()
				if err != nil {
					t.Fatal(err)
				}
				if err := checkFlags(args, flags); err != nil {
					t.Errorf("%s: container %s: %v", o.file, c.Name, err)
				}
				if err := checkProbes(c, args); err != nil {
					t.Errorf("%s: container %s: %v", o.file, c.Name, err)
				}
				hasBus := false
				for _, e := range c.Env {
					if e.Name == "FILEDGE_NATS_URL" && e.Value != "" {
						hasBus = true
					}
					if (e.Name == "DATABASE_URL" || secretKey.MatchString(e.Name)) &&
						(e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
						t.Errorf("%s: %s: env %s must come from a secretKeyRef", o.file, c.Name, e.Name)
					}
				}
				if !hasBus {
					t.Errorf("%s: %s: FILEDGE_NATS_URL is not set", o.file, c.Name)
				}
				if sub == "sink" && !slices.ContainsFunc(c.Env, func(e k8sEnvVar) bool { return e.Name == "DATABASE_URL" }) {
					t.Errorf("%s: %s: a postgres sink needs DATABASE_URL", o.file, c.Name)
				}
			}
		})
	}
	for _, stage := range stages {
		if !slices.Contains(ran, stage) {
			t.Errorf("%s: no Deployment runs `filedge %s`", k8sDir, stage)
		}
	}

	var listed []string
	for _, o := range objs {
		if o.Kind == "Kustomization" {
			listed = append(listed, o.Resources...)
			for _, r := range o.Resources {
				if _, err := os.Stat(filepath.Join(k8sDir, r)); err != nil {
					t.Errorf("%s: resource %s: %v", o.file, r, err)
				}
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(listed, base) {
			t.Errorf("%s/kustomization.yaml does not list %s", k8sDir, base)
		}
	}
}

// TestDeployedPipelinesPassConfigValidation loads the pipeline of
// docker-compose.yml and the one in the Kubernetes ConfigMap with the
// config package, as the stages will at start-up, with DATABASE_URL set as
// the deployments set it: both must be valid and define the postgres
// destination the sinks are started for.
func TestDeployedPipelinesPassConfigValidation(t *testing.T) {
	pipelines := map[string][]byte{composePipeline: readFile(t, composePipeline)}
	for _, o := range loadManifests(t) {
		if o.Kind == "ConfigMap" {
			for key, data := range o.Data {
				if strings.HasSuffix(key, ".yaml") {
					pipelines[o.file+" ("+o.Metadata.Name+"/"+key+")"] = []byte(data)
				}
			}
		}
	}
	env := map[string]string{"DATABASE_URL": "postgres://filedge:example@postgres:5432/filedge?sslmode=disable"}
	lookup := func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
	for name, data := range pipelines {
		t.Run(name, func(t *testing.T) {
			// A local source must exist when the pipeline loads; /data/in
			// exists only inside the containers, so it becomes a temporary
			// folder here.
			data, source := withSourcePath(t, data, t.TempDir())
			if source != "/data/in" {
				t.Errorf("%s: source.path %q, want /data/in (the folder the deployments mount)", name, source)
			}
			p, err := config.ParseWithEnv(data, name, t.TempDir(), lookup)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if p.Source.Type != "local" {
				t.Errorf("%s: source type %q, want local", name, p.Source.Type)
			}
			i := slices.IndexFunc(p.Destinations, func(d config.Destination) bool { return d.Name == "warehouse" })
			if i < 0 {
				t.Fatalf("%s: no destination warehouse in %v", name, p.Destinations)
			}
			if d := p.Destinations[i]; d.Type != "postgres" || d.Settings.(postgres.Config).URL.Reveal() != env["DATABASE_URL"] {
				t.Errorf("%s: destination warehouse is %s with a URL other than DATABASE_URL", name, d.Type)
			}
		})
	}
}

// withSourcePath returns a pipeline with source.path replaced by dir, and
// the path it had.
func withSourcePath(t *testing.T, data []byte, dir string) ([]byte, string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		t.Fatalf("pipeline is not YAML: %v", err)
	}
	source := mappingValue(doc.Content[0], "source")
	if source == nil {
		t.Fatal("pipeline has no source: block")
	}
	p := mappingValue(source, "path")
	if p == nil {
		t.Fatal("pipeline has no source.path")
	}
	old := p.Value
	p.Value = dir
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return out, old
}

// mappingValue returns the value of key in a YAML mapping, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// TestCheckFlagsAndProbesRejectBrokenDeployments proves the flag and probe
// checks: an unknown flag, a flag of another subcommand, a probe without
// --http-addr, on the wrong path or port are refused.
func TestCheckFlagsAndProbesRejectBrokenDeployments(t *testing.T) {
	flags := map[string][]string{"sink": {"c", "config", "destination", "http-addr"}, "parser": {"c", "config", "http-addr"}}
	for _, tt := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"known flags", []string{"sink", "--destination", "w", "-c", "/p.yaml", "--http-addr=:8080"}, ""},
		{"unknown flag", []string{"parser", "-c", "/p.yaml", "--health-addr", ":8080"}, "has no flag --health-addr"},
		{"flag of another subcommand", []string{"parser", "--destination", "w"}, "has no flag --destination"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFlags(tt.args, flags)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("checkFlags = %v, want %q", err, tt.wantErr)
			}
		})
	}

	var good k8sContainer
	if err := yaml.Unmarshal([]byte(`
ports: [{name: health, containerPort: 8080}]
readinessProbe: {httpGet: {path: /readyz, port: health}}
livenessProbe: {httpGet: {path: /healthz, port: "8080"}}
`), &good); err != nil {
		t.Fatal(err)
	}
	args := []string{"parser", "--http-addr", ":8080"}
	if err := checkProbes(good, args); err != nil {
		t.Fatalf("good probes refused: %v", err)
	}
	if err := checkProbes(good, []string{"parser"}); err == nil || !strings.Contains(err.Error(), "no --http-addr") {
		t.Errorf("probes without --http-addr: %v", err)
	}
	if err := checkProbes(good, []string{"parser", "--http-addr", ":9090"}); err == nil || !strings.Contains(err.Error(), "listens on 9090") {
		t.Errorf("probes on another port: %v", err)
	}
	wrongPath := good
	wrongPath.LivenessProbe = good.ReadinessProbe
	if err := checkProbes(wrongPath, args); err == nil || !strings.Contains(err.Error(), "want /healthz") {
		t.Errorf("liveness on /readyz: %v", err)
	}
}
