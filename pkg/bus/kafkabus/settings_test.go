package kafkabus_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/kafkabus"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a bus: block as written in
// pipeline.yaml after its first line (type: kafka), through the registry,
// with the environment vars, in the folder dir.
func decodeBlock(t *testing.T, dir, block string, vars map[string]string) (kafkabus.Config, settings.Errors) {
	t.Helper()
	info, ok := bus.Lookup("Kafka")
	if !ok || info.Type != "kafka" {
		t.Fatalf("Lookup(Kafka) = %+v, %v; want the kafka type", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir, Lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}
	cfg := info.Decode(f.ParseBlock([]byte("type: kafka\n"+block), "bus", "type"))
	return cfg.(kafkabus.Config), f.Errors()
}

func TestSettingsDefaultsAndKeys(t *testing.T) {
	dir := t.TempDir()
	c, errs := decodeBlock(t, dir, "brokers: [k1:9092, 'k2:9093']\n", nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !slices.Equal(c.Brokers, []string{"k1:9092", "k2:9093"}) || c.TopicPrefix != "filedge" || c.Partitions != 12 ||
		c.ReplicationFactor != 0 || c.BatchRetention != 72*time.Hour || c.MaxMessageBytes != 1<<20 || c.ClientID != "filedge" || c.TLS != nil || c.SASL != nil {
		t.Errorf("defaults %+v", c)
	}
	c, errs = decodeBlock(t, dir, `brokers: k1:9092
topic_prefix: acme.filedge
partitions: 24
replication_factor: 3
batch_retention: 24h
max_message_bytes: 4MiB
client_id: loader-7
sasl: {mechanism: SCRAM-SHA-512, username: filedge, password: '${KAFKA_PASSWORD}'}
`, map[string]string{"KAFKA_PASSWORD": "from-env"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if c.TopicPrefix != "acme.filedge" || c.Partitions != 24 || c.ReplicationFactor != 3 || c.BatchRetention != 24*time.Hour ||
		c.MaxMessageBytes != 4<<20 || c.ClientID != "loader-7" || c.SASL.Mechanism != "scram-sha-512" || c.SASL.Password.Reveal() != "from-env" {
		t.Errorf("decoded %+v, sasl %+v", c, c.SASL)
	}
}

func TestSettingsProblemsNameTheirLineAndKey(t *testing.T) {
	for _, tc := range []struct{ name, block, want string }{
		{"no brokers", "partitions: 3\n", "pipeline.yaml:1: bus.brokers: required"},
		{"broker without a port", "brokers: [k1]\n", `pipeline.yaml:2: bus.brokers: broker 1 of 1: "k1": want host:port`},
		{"port out of range", "brokers: [k1:99999]\n", "bus.brokers: broker 1 of 1: \"k1:99999\": the port must be a number from 1 to 65535"},
		{"partitions zero", "brokers: [k:1]\npartitions: 0\n", "pipeline.yaml:3: bus.partitions: must be at least 1"},
		{"replication factor zero", "brokers: [k:1]\nreplication_factor: 0\n", "pipeline.yaml:3: bus.replication_factor: must be at least 1"},
		{"messages too small", "brokers: [k:1]\nmax_message_bytes: 1KiB\n", "pipeline.yaml:3: bus.max_message_bytes: must be at least 65536 bytes"},
		{"topic prefix", "brokers: [k:1]\ntopic_prefix: 'a b'\n", `pipeline.yaml:3: bus.topic_prefix: "a b": use letters`},
		{"a nats key", "brokers: [k:1]\ndata_dir: x\n", "pipeline.yaml:3: bus.data_dir: unknown key"},
		{"sasl mechanism", "brokers: [k:1]\nsasl: {mechanism: gssapi, username: u, password: '${P}'}\n", `pipeline.yaml:3: bus.sasl: mechanism "gssapi": want plain, scram-sha-256 or scram-sha-512`},
		{"sasl without user", "brokers: [k:1]\nsasl: {mechanism: plain, password: '${P}'}\n", "pipeline.yaml:3: bus.sasl: username: required"},
		{"sasl without password", "brokers: [k:1]\nsasl: {mechanism: plain, username: u}\n", "pipeline.yaml:3: bus.sasl: password: required"},
		{"tls file missing", "brokers: [k:1]\ntls: {ca_file: nope.pem}\n", "pipeline.yaml:3: bus.tls: ca_file: cannot read"},
		{"tls cert without key", "brokers: [k:1]\ntls: {cert_file: " + os.Args[0] + "}\n", "pipeline.yaml:3: bus.tls: give cert_file and key_file together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, t.TempDir(), tc.block, map[string]string{"P": "x"})
			if !strings.Contains(errs.Error(), tc.want) {
				t.Errorf("errors %q, want %q", errs.Error(), tc.want)
			}
		})
	}
}

func TestSettingsRefuseACredentialWrittenInTheFileWithoutShowingIt(t *testing.T) {
	const pw = "Lit3ral-kafka-pw"
	for name, block := range map[string]string{
		"sasl password":    "brokers: [k:1]\nsasl: {mechanism: plain, username: u, password: " + pw + "}\n",
		"user in a broker": "brokers: ['u:" + pw + "@k:9092']\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := decodeBlock(t, t.TempDir(), block, nil)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			if strings.Contains(errs.Error(), pw) {
				t.Errorf("the error shows the password: %v", errs)
			}
		})
	}
	_, errs := decodeBlock(t, t.TempDir(), "brokers: [k:1]\nsasl: {mechanism: plain, username: u, password: "+pw+"}\n", nil)
	if !errors.Is(errs, settings.ErrCredentialInFile) || !strings.Contains(errs.Error(), "${KAFKA_PASSWORD}") {
		t.Errorf("errors %v, want ErrCredentialInFile saying ${KAFKA_PASSWORD}", errs)
	}
}

func TestSettingsNeverPrintThePasswordAndListItAsASecret(t *testing.T) {
	const pw = "kafka-Secret-333"
	c, errs := decodeBlock(t, t.TempDir(), "brokers: [k:1]\nsasl: {mechanism: scram-sha-256, username: filedge, password: '${KAFKA_PASSWORD}'}\n",
		map[string]string{"KAFKA_PASSWORD": pw})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "bus", c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "String": c.String(),
		"json": string(js), "slog": text.String(),
	} {
		if strings.Contains(out, pw) {
			t.Errorf("%s shows the password: %s", name, out)
		}
	}
	if got := settings.Secrets(c); len(got) != 1 || got[0].Reveal() != pw {
		t.Errorf("settings.Secrets = %d secrets, want the password", len(got))
	}
}

func TestSASLAuthenticatesAndAWrongPasswordFailsWithoutShowingIt(t *testing.T) {
	const user, pw = "filedge", "right-pw-4711"
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c := cluster(t, kfake.EnableSASL(), kfake.Superuser(mech, user, pw))
			block := fmt.Sprintf("brokers: [%s]\nsasl: {mechanism: %s, username: %s, password: '${KAFKA_PASSWORD}'}\n", c.ListenAddrs()[0], mech, user)
			good, errs := decodeBlock(t, t.TempDir(), block, map[string]string{"KAFKA_PASSWORD": pw})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			b, err := good.Open(t.Context(), bus.Env{Logger: testLogger(t)})
			if err != nil {
				t.Fatalf("Open with the right password: %v", err)
			}
			defer b.Close()
			if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Files, Pipeline: "p", Data: []byte("x")}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			const wrong = "wrong-pw-0815"
			bad, _ := decodeBlock(t, t.TempDir(), block, map[string]string{"KAFKA_PASSWORD": wrong})
			// kfake closes the connection of a failed authentication, so the
			// client retries until ctx ends; a Kafka broker says why at once.
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			var logs bytes.Buffer
			b2, err := bad.Open(ctx, bus.Env{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err == nil {
				b2.Close()
				t.Fatal("Open with a wrong password succeeded")
			}
			for _, out := range []string{err.Error(), logs.String()} {
				if strings.Contains(out, wrong) || strings.Contains(out, pw) {
					t.Errorf("a password shows: %s", out)
				}
			}
		})
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 to dir and
// returns the server's TLS configuration and the certificate's file.
func selfSigned(t *testing.T, dir string) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	file := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(file, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, file
}

func TestTLSConnectsWithTheGivenAuthority(t *testing.T) {
	dir := t.TempDir()
	server, ca := selfSigned(t, dir)
	c := cluster(t, kfake.TLS(server))
	cfg, errs := decodeBlock(t, dir, fmt.Sprintf("brokers: [%s]\ntls: {ca_file: ca.pem}\n", c.ListenAddrs()[0]), nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg.TLS.CAFile != ca {
		t.Errorf("ca_file = %q, want it resolved to %q", cfg.TLS.CAFile, ca)
	}
	b, err := cfg.Open(t.Context(), bus.Env{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Open over TLS: %v", err)
	}
	defer b.Close()
	if err := b.(bus.Pinger).Ping(t.Context()); err != nil {
		t.Errorf("Ping over TLS: %v", err)
	}
}
