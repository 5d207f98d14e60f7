package integration

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
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
	rows := map[string]string{}
	r, err := o.pg.Query(`SELECT _file, string_agg(name, ',' ORDER BY id) FROM sales GROUP BY _file`)
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
