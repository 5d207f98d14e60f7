package settings_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/settings"
)

// FuzzDecode proves that no YAML makes Decode panic, that every problem
// names the file and a key of the block, and that no message shows a value
// that came from the environment (the file's own text may show).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		"str: x\nint: 3\nlist: [a, b]\n",
		"token: ${TOKEN}\nurl: 'postgresql://u:${PGPASSWORD}@db/d'\n",
		"url: postgresql://u:2024/pw@db/d?password=x\ntoken: abc\n",
		"nested: {a: x, b: y}\nmap: {x: 1, y: [2]}\nlists: {a: [x, ~]}\nitems: [{a: 1}, x]\n",
		"opt: ${N}\nopt_dur: -1s\nsize: 1.5GiB\ndur: '${NAME}'\nint8: 300\nuint16: -1\nfloat: NaN\n",
		"a: &x [*x]\n",
		"<<: {str: x}\n<<: [{int: 1}, 2]\n",
		"? [a]\n: b\nstr: ${NOPE:-${X}}\nbool: maybe\n",
		"items: !!map {a: b}\npassword: ${X}\napi_key: y\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
			return
		}
		file := &settings.File{Name: "p.yaml", Dir: "/pipes", Lookup: lookup}
		m, _ := file.Fields(root.Content[0], "connector")
		b := file.Block(m, root.Content[0], "connector", "type", "name")
		var k kinds
		b.Decode(&k)
		for _, e := range file.Errors() {
			if e.File != "p.yaml" || !strings.HasPrefix(e.Key, "connector") {
				t.Errorf("problem without its file or key: %+v", e)
			}
			for _, v := range env {
				if len(v) >= 6 && strings.Contains(e.Error(), v) && !strings.Contains(string(data), v) {
					t.Errorf("message shows %q from the environment: %v", v, e)
				}
			}
		}
	})
}
