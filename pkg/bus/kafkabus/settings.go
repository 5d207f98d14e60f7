package kafkabus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/settings"
)

func init() {
	bus.Register(bus.Info{Type: "kafka", Label: "Kafka", Decode: decodeSettings})
}

// SASL mechanisms Config.SASL.Mechanism names.
const (
	MechanismPlain       = "plain"
	MechanismSCRAMSHA256 = "scram-sha-256"
	MechanismSCRAMSHA512 = "scram-sha-512"
)

// minMaxMessageBytes is the least max_message_bytes: room for a batch of a
// few rows besides the headers.
const minMaxMessageBytes = 64 << 10

// Config is the kafka bus's settings: the keys of the bus: block besides
// type.
type Config struct {
	// Brokers are the bootstrap brokers, host:port. Required.
	Brokers []string `yaml:"brokers"`
	// TopicPrefix starts every topic's name; default DefaultTopicPrefix.
	TopicPrefix string `yaml:"topic_prefix"`
	// Partitions of each message topic created; an existing topic must have
	// at least as many. Default DefaultPartitions.
	Partitions int `yaml:"partitions"`
	// ReplicationFactor of the topics created; 0 (the default) takes the
	// brokers' default.replication.factor.
	ReplicationFactor int `yaml:"replication_factor"`
	// BatchRetention is how long record batches (and the offset index)
	// stay on the bus, for replay; default DefaultBatchRetention.
	BatchRetention time.Duration `yaml:"batch_retention"`
	// MaxMessageBytes is the max.message.bytes of the topics created, and
	// the most a message may take; an existing topic's smaller limit wins.
	// Default DefaultMaxMessageBytes.
	MaxMessageBytes settings.Size `yaml:"max_message_bytes"`
	// ClientID names the process's clients to the brokers; default
	// "filedge".
	ClientID string `yaml:"client_id"`
	// TLS, when the block is there (tls: {} for the system's roots),
	// encrypts the connections.
	TLS *TLSConfig `yaml:"tls"`
	// SASL, when the block is there, authenticates the connections.
	SASL *SASLConfig `yaml:"sasl"`
}

// TLSConfig is the tls: block: files relative to the pipeline file's
// folder, absolute once decoded.
type TLSConfig struct {
	// CAFile holds the PEM certificates of the authorities to trust;
	// default the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile hold a client certificate and its key (PEM),
	// for brokers that ask for one; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name to verify the brokers' certificates against;
	// default each broker's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any certificate: for tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// SASLConfig is the sasl: block.
type SASLConfig struct {
	// Mechanism is plain, scram-sha-256 or scram-sha-512.
	Mechanism string `yaml:"mechanism"`
	// Username is the user to authenticate as.
	Username string `yaml:"username"`
	// Password comes from the environment (${KAFKA_PASSWORD}); a password
	// written in the file is refused.
	Password settings.Secret `yaml:"password" credential:"${KAFKA_PASSWORD}"`
}

// topicPrefix is the syntax of a topic prefix: Kafka's topic characters.
var topicPrefix = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

// decodeSettings reads a kafka bus: block and reports every problem at its
// key: brokers are host:port, the numbers in range, the SASL mechanism
// known with a user and a password from the environment, the TLS files
// readable.
func decodeSettings(b *settings.Block) bus.Config {
	c := Config{
		TopicPrefix: DefaultTopicPrefix, Partitions: DefaultPartitions, BatchRetention: DefaultBatchRetention,
		MaxMessageBytes: DefaultMaxMessageBytes, ClientID: "filedge",
	}
	b.Decode(&c)
	switch {
	case b.Failed("brokers"):
	case len(c.Brokers) == 0:
		b.Errorf("brokers", "required: the Kafka brokers to bootstrap from, e.g. brokers: [kafka-1:9092, kafka-2:9092]")
	default:
		for i, br := range c.Brokers {
			if err := checkBroker(br); err != nil {
				b.Errorf("brokers", "broker %d of %d: %w", i+1, len(c.Brokers), err)
			}
		}
	}
	if b.Has("topic_prefix") && !b.Failed("topic_prefix") && !topicPrefix.MatchString(c.TopicPrefix) {
		b.Errorf("topic_prefix", "%q: use letters, digits, '.', '_' and '-' (at most 200)", c.TopicPrefix)
	}
	if c.Partitions < 1 && !b.Failed("partitions") {
		b.Errorf("partitions", "must be at least 1, not %d", c.Partitions)
	}
	if b.Has("replication_factor") && c.ReplicationFactor < 1 && !b.Failed("replication_factor") {
		b.Errorf("replication_factor", "must be at least 1, not %d (omit it for the brokers' default)", c.ReplicationFactor)
	}
	if c.MaxMessageBytes < minMaxMessageBytes && !b.Failed("max_message_bytes") {
		b.Errorf("max_message_bytes", "must be at least %d bytes (64KiB), not %d", minMaxMessageBytes, c.MaxMessageBytes)
	}
	if strings.TrimSpace(c.ClientID) == "" && b.Has("client_id") {
		b.Errorf("client_id", "must not be empty")
	}
	if c.SASL != nil && !b.Failed("sasl") && b.Has("sasl") {
		checkSASL(b, c.SASL)
	}
	if c.TLS != nil && !b.Failed("tls") && b.Has("tls") {
		checkTLS(b, c.TLS)
	}
	return c
}

// checkBroker reports whether s is host:port. A broker that holds '@' is
// refused without being quoted: it may hold a password.
func checkBroker(s string) error {
	if strings.Contains(s, "@") || strings.Contains(s, "://") {
		return errors.New("want host:port (it is not shown: it may hold a credential; credentials go in the sasl: block)")
	}
	host, port, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil || host == "" {
		return fmt.Errorf("%q: want host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
	}
	return nil
}

func checkSASL(b *settings.Block, s *SASLConfig) {
	s.Mechanism = strings.ToLower(strings.TrimSpace(s.Mechanism))
	switch s.Mechanism {
	case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
	case "":
		b.Errorf("sasl", "mechanism: required: %s, %s or %s", MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
	default:
		b.Errorf("sasl", "mechanism %q: want %s, %s or %s", s.Mechanism, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
	}
	if strings.TrimSpace(s.Username) == "" {
		b.Errorf("sasl", "username: required: the user to authenticate as")
	}
	if s.Password == "" {
		b.Errorf("sasl", "password: required, from the environment: password: ${KAFKA_PASSWORD}")
	}
}

func checkTLS(b *settings.Block, t *TLSConfig) {
	for _, f := range []struct {
		key  string
		path *string
	}{{"ca_file", &t.CAFile}, {"cert_file", &t.CertFile}, {"key_file", &t.KeyFile}} {
		if *f.path == "" {
			continue
		}
		if !filepath.IsAbs(*f.path) {
			*f.path = filepath.Join(b.Dir(), *f.path)
		}
		if _, err := os.Stat(*f.path); err != nil {
			b.Errorf("tls", "%s: cannot read %s: %w", f.key, *f.path, errors.Unwrap(err))
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		b.Errorf("tls", "give cert_file and key_file together (a client certificate and its key), or neither")
	}
}

// Open connects to the brokers; see Connect.
func (c Config) Open(ctx context.Context, env bus.Env) (bus.Bus, error) {
	opts, err := c.options(env)
	if err != nil {
		return nil, err
	}
	b, err := Connect(ctx, opts)
	if err != nil {
		return nil, err // not a nil *Bus in a non-nil interface
	}
	return b, nil
}

// options returns the Options of c.
func (c Config) options(env bus.Env) (Options, error) {
	o := Options{
		Brokers: c.Brokers, TopicPrefix: c.TopicPrefix, Partitions: c.Partitions, ReplicationFactor: c.ReplicationFactor,
		BatchRetention: c.BatchRetention, MaxMessageBytes: int(c.MaxMessageBytes), ClientID: c.ClientID, Logger: env.Logger,
	}
	if c.TLS != nil {
		t, err := c.TLS.config()
		if err != nil {
			return Options{}, fmt.Errorf("%w: tls: %w", ErrInvalidOptions, err)
		}
		o.TLS = t
	}
	if c.SASL != nil {
		o.SASL = c.SASL.mechanism()
	}
	return o, nil
}

// config builds the tls.Config of t.
func (t *TLSConfig) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("the client certificate %s and key %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// mechanism returns the franz-go SASL mechanism of s.
func (s *SASLConfig) mechanism() sasl.Mechanism {
	user, pass := s.Username, s.Password.Reveal()
	switch s.Mechanism {
	case MechanismSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case MechanismSCRAMSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	return plain.Auth{User: user, Pass: pass}.AsMechanism()
}

// String describes the bus: its brokers and topic prefix, and how it
// authenticates (never the password).
func (c Config) String() string {
	s := fmt.Sprintf("kafka brokers=%s topic_prefix=%s", strings.Join(c.Brokers, ","), c.TopicPrefix)
	if c.TLS != nil {
		s += " tls"
	}
	if c.SASL != nil {
		s += fmt.Sprintf(" sasl=%s user=%s", c.SASL.Mechanism, c.SASL.Username)
	}
	return s
}

var _ bus.Config = Config{}
