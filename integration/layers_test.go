package integration

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

func armored(t *testing.T, e *openpgp.Entity, private bool) string {
	t.Helper()
	var b bytes.Buffer
	typ := openpgp.PublicKeyType
	if private {
		typ = openpgp.PrivateKeyType
	}
	w, err := armor.Encode(&b, typ, nil)
	if err != nil {
		t.Fatal(err)
	}
	if private {
		err = e.SerializePrivate(w, nil)
	} else {
		err = e.Serialize(w)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	return b.String()
}

func encryptSigned(t *testing.T, to, signer *openpgp.Entity, plain string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := openpgp.Encrypt(&b, []*openpgp.Entity{to}, signer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(plain))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestRunOnceReadsCompressedArchivedAndSignedEncryptedFiles loads, through
// the real binary into PostgreSQL, a gzipped CSV and a zip of a CSV and a
// JSON file (each member its own _file); then, in a pipeline with a PGP key
// and a trusted signer from the environment, a file encrypted to that key
// and signed by the signer. A file signed by someone else, a tampered one and
// an unsigned plain one fail with their reason and commit nothing.
func TestRunOnceReadsCompressedArchivedAndSignedEncryptedFiles(t *testing.T) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	recipient, err := openpgp.NewEntity("filedge", "", "filedge@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := openpgp.NewEntity("partner", "", "partner@example.com", cfg)
	stranger, _ := openpgp.NewEntity("stranger", "", "stranger@example.com", cfg)
	t.Setenv("IT_PGP_KEY", armored(t, recipient, true))
	t.Setenv("IT_PGP_SIGNER", armored(t, signer, false))

	// Compression and archives, in a pipeline without pgp.
	o := newOncePipeline(t, "upsert_file", "")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("id,name\n1,gz-a\n2,gz-b\n"))
	zw.Close()
	o.write(t, "a.csv.gz", gz.String())
	var zb bytes.Buffer
	zipw := zip.NewWriter(&zb)
	for name, body := range map[string]string{"2026/b.csv": "id,name\n3,zip-b\n", "2026/c.jsonl": `{"id": 4, "name": "zip-c"}` + "\n"} {
		w, _ := zipw.Create(name)
		w.Write([]byte(body))
	}
	zipw.Close()
	o.write(t, "batch.zip", zb.String())
	o.mustRun(t)
	checkRows(t, o, map[string]string{"a.csv.gz": "gz-a,gz-b", "batch.zip!/2026/b.csv": "zip-b", "batch.zip!/2026/c.jsonl": "zip-c"})

	// PGP with a trusted signer: only files signed by it load; a plain file
	// is refused too, since the pipeline requires signatures.
	o = newOncePipeline(t, "upsert_file", `pgp: {private_key: "${IT_PGP_KEY}", trusted_signers: ["${IT_PGP_SIGNER}"]}
`)
	o.write(t, "signed.csv.pgp", string(encryptSigned(t, recipient, signer, "id,name\n5,pgp-a\n6,pgp-b\n")))
	o.write(t, "stranger.csv.pgp", string(encryptSigned(t, recipient, stranger, "id,name\n7,evil\n")))
	tampered := encryptSigned(t, recipient, signer, "id,name\n8,tampered\n")
	tampered[len(tampered)-20] ^= 0xff
	o.write(t, "tampered.csv.pgp", string(tampered))
	o.write(t, "plain.csv", "id,name\n9,unsigned\n")
	out, code := runOnce(t, o.config)
	if code != 1 {
		t.Fatalf("bad PGP files must make run --once exit 1; got %d:\n%s", code, out)
	}
	for _, re := range []string{`signed\.csv\.pgp\s+pg\s+committed\s+2`, `stranger\.csv\.pgp\s+pg\s+failed.*not among pgp trusted_signers`,
		`tampered\.csv\.pgp\s+pg\s+failed.*integrity`, `plain\.csv\s+pg\s+failed.*not signed`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("summary lacks %s:\n%s", re, out)
		}
	}
	checkRows(t, o, map[string]string{"signed.csv.pgp": "pgp-a,pgp-b"})
	if strings.Contains(out, "BEGIN PGP") {
		t.Fatal("a key reached the output")
	}
}

// checkRows compares the names loaded per _file, in PostgreSQL, with want.
func checkRows(t *testing.T, o *oncePipeline, want map[string]string) {
	t.Helper()
	checkRowsWhere(t, o, "true", want)
}

// checkRowsWhere compares the names loaded per _file of the rows where cond
// holds, in PostgreSQL, with want.
func checkRowsWhere(t *testing.T, o *oncePipeline, cond string, want map[string]string) {
	t.Helper()
	rows := map[string]string{}
	r, err := o.pg.Query(`SELECT _file, string_agg(name, ',' ORDER BY id) FROM sales WHERE ` + cond + ` GROUP BY _file`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var f, names string
		if err := r.Scan(&f, &names); err != nil {
			t.Fatal(err)
		}
		rows[f] = names
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("rows by _file:\n got %v\nwant %v", rows, want)
	}
}

// TestRunOnceReadsEveryCompressionTarAndTextEncoding loads, through the
// binary into PostgreSQL, a CSV under each compression filedge infers from
// the extension, a tar.gz with a nested folder, a UTF-16 file with its byte
// order mark, and a quoted empty field, which must load as ” and not NULL.
func TestRunOnceReadsEveryCompressionTarAndTextEncoding(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	compress := func(name string, open func(w io.Writer) (io.WriteCloser, error), body string) {
		var b bytes.Buffer
		w, err := open(&b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, body); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		o.write(t, name, b.String())
	}
	compress("a.csv.zst", func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) },
		"id,name\n1,zst-a\n")
	compress("b.csv.xz", func(w io.Writer) (io.WriteCloser, error) { return xz.NewWriter(w) },
		"id,name\n2,xz-b\n")
	bz2, err := os.ReadFile(filepath.Join("..", "pkg", "decode", "testdata", "hello.csv.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	o.write(t, "c.csv.bz2", string(bz2)) // id,name,amount: 1,Zoë / 2,"Smith, J" / 3,☃

	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	for _, m := range []struct{ name, body string }{{"d.csv", "id,name\n4,tar-d\n"}, {"sub/e.csv", "id,name\n5,tar-e\n"}} {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m.body))
	}
	tw.Close()
	gz.Close()
	o.write(t, "f.tar.gz", tgz.String())

	u16 := []byte{0xFF, 0xFE} // UTF-16 LE byte order mark
	for _, r := range "id,name\n6,Zoë ☃\n" {
		u16 = append(u16, byte(r), byte(r>>8))
	}
	o.write(t, "g.csv", string(u16))
	o.write(t, "h.csv", "id,name\n7,\"\"\n8,\n")
	o.mustRun(t)

	checkRowsWhere(t, o, "name <> ''", map[string]string{
		"a.csv.zst": "zst-a", "b.csv.xz": "xz-b", "c.csv.bz2": "Zoë,Smith, J,☃",
		"f.tar.gz!/d.csv": "tar-d", "f.tar.gz!/sub/e.csv": "tar-e", "g.csv": "Zoë ☃",
	})
	if n := queryInt(t, o.pg, `SELECT count(*) FROM sales WHERE _file = 'h.csv' AND id = 7 AND name = ''`); n != 1 {
		t.Errorf(`the quoted empty field of h.csv line 2 is not '' in PostgreSQL (%d rows)`, n)
	}
	if n := queryInt(t, o.pg, `SELECT count(*) FROM sales WHERE _file = 'h.csv' AND id = 8 AND name IS NULL`); n != 1 {
		t.Errorf(`the unquoted empty field of h.csv line 3 is not NULL in PostgreSQL (%d rows)`, n)
	}
	if n := queryInt(t, o.openLite(t), `SELECT count(*) FROM sales WHERE _file = 'h.csv' AND id = 7 AND name = ''`); n != 1 {
		t.Errorf(`the quoted empty field of h.csv line 2 is not '' in SQLite (%d rows)`, n)
	}
}

// TestRunOnceLoadsXMLAndLogsPacked loads an XML file split at
// xml_record_path and a log file, in magic folder mode, through the binary:
// one row per record and per line, each packed in the column _data.
func TestRunOnceLoadsXMLAndLogsPacked(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "xml_record_path: /orders/order\n")
	o.magicFolder(t)
	o.write(t, "orders.xml", `<?xml version="1.0"?><orders><order id="1"><sku>A</sku></order><order id="2"><sku>B</sku></order></orders>`)
	o.write(t, "app.log", "2026-11-21 12:00:00 started\n2026-11-21 12:00:01 ready\n\n2026-11-21 12:00:02 stopped\n")
	o.mustRun(t)
	var skus string
	if err := o.pg.QueryRow(`SELECT string_agg(_data->>'sku', ',' ORDER BY _line) FROM orders`).Scan(&skus); err != nil {
		t.Fatal(err)
	}
	if skus != "A,B" {
		t.Errorf("orders: skus %q, want A,B", skus)
	}
	var lines string
	if err := o.pg.QueryRow(`SELECT string_agg(coalesce(_data, '∅'), '|' ORDER BY _line) FROM app`).Scan(&lines); err != nil {
		t.Fatal(err)
	}
	// The blank line is an empty string, not a null (which would show as ∅).
	if want := "2026-11-21 12:00:00 started|2026-11-21 12:00:01 ready||2026-11-21 12:00:02 stopped"; lines != want {
		t.Errorf("app: lines %q, want %q", lines, want)
	}
}
