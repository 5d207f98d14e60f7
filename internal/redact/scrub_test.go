package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// canaries are password pieces the tests look for in output.
const (
	pieceA = "Zq8kWvR2"
	pieceB = "7731"
	pieceC = "Hx5mBn"
)

// secretShapes are credentials in every shape a pipeline can hold, each
// with the pieces that must never print.
var secretShapes = []struct {
	name, secret string
	pieces       []string
}{
	{"password with slash after digits", "postgresql://loader:" + pieceB + "/" + pieceA + "@db:5432/sales", []string{pieceA, pieceB}},
	{"password with at and colon", "postgresql://loader:" + pieceA + "@" + pieceC + ":x@db/sales", []string{pieceA, pieceC}},
	{"percent-escaped password", "postgresql://loader:" + pieceA + "%2F" + pieceC + "%40@db/sales", []string{pieceA, pieceC, pieceA + "/" + pieceC + "@"}},
	{"question mark in password", "postgresql://loader:" + pieceA + "?" + pieceC + "@db/sales", []string{pieceA, pieceC}},
	{"hash in password", "postgres://loader:" + pieceA + "#" + pieceC + "@db/sales", []string{pieceA, pieceC}},
	{"password query parameter", "postgresql://loader@db/sales?sslmode=require&password=" + pieceA + "%26" + pieceC, []string{pieceA, pieceC}},
	{"sslpassword query parameter", "postgresql://loader@db/sales?sslpassword=" + pieceA, []string{pieceA}},
	{"keyword/value string", "host=db user=loader password='" + pieceA + " " + pieceC + "' dbname=sales", []string{pieceA, pieceC}},
	{"NATS user and password", "nats://filedge:" + pieceA + "@bus:4222", []string{pieceA}},
	{"NATS token", "nats://" + pieceA + "@bus:4222", []string{pieceA}},
	{"NATS list", "nats://a:4222,nats://filedge:" + pieceB + "/" + pieceA + "@b:4222", []string{pieceA, pieceB}},
}

// leaks returns the pieces out holds.
func leaks(out string, pieces []string) []string {
	var found []string
	for _, p := range pieces {
		if strings.Contains(out, p) {
			found = append(found, p)
		}
	}
	return found
}

// TestScrubberRemovesEveryPieceOfACredential writes each secret, its pieces
// and the forms drivers give them (quoted, percent-encoded, a misread
// database name, JSON) into text, and finds none of them after scrubbing.
func TestScrubberRemovesEveryPieceOfACredential(t *testing.T) {
	for _, sh := range secretShapes {
		t.Run(sh.name, func(t *testing.T) {
			s := New(sh.secret)
			u, _ := ParseURL(sh.secret)
			texts := []string{
				sh.secret,
				strconv.Quote(sh.secret),
				"failed to connect to `user=loader database=" + pieceA + "@db/sales`",
				"cannot parse the connection URL for loader:" + pieceB + "/" + pieceA,
				"lookup loader on 10.0.0.1:53: dial " + pieceB,
				fmt.Sprintf("parse %q: invalid port %q after host", sh.secret, ":"+pieceB),
				url.QueryEscape(pieceA + "/" + pieceC),
				u.Rest,
			}
			for _, p := range sh.pieces {
				j, _ := json.Marshal(p)
				texts = append(texts, p, "x"+p+"y", string(j), url.PathEscape(p))
			}
			for _, text := range texts {
				out := s.String(text)
				if l := leaks(out, sh.pieces); len(l) > 0 {
					t.Errorf("scrubbed %q to %q: holds %q", text, out, l)
				}
			}
		})
	}
}

func TestScrubberKeepsShortPiecesAndWhatIsNoSecret(t *testing.T) {
	s := New("postgresql://loader:ab/" + pieceA + "@db:5432/sales")
	const text = "connect to db:5432/sales as loader: about 12 rows"
	if got := s.String(text); got != text {
		t.Errorf("scrubbed %q to %q: only the password's pieces of %d bytes or more go", text, got, MinPiece)
	}
	if got := s.String("pw ab/" + pieceA); strings.Contains(got, "ab/") || strings.Contains(got, pieceA) {
		t.Errorf("the whole password is not removed: %q", got)
	}
	// A whole secret goes whatever its length.
	if got := New("x1").String("ax1b"); got != "aREDACTEDb" {
		t.Errorf("short whole secret: got %q", got)
	}
	var none *Scrubber
	if got := none.String(pieceA); got != pieceA {
		t.Errorf("a nil Scrubber changed %q to %q", pieceA, got)
	}
}

func TestScrubberReadsAListOfURLsServerByServer(t *testing.T) {
	s := New("nats://a:4222, nats://filedge:" + pieceA + "@b:4222,tls://" + pieceC + "@c:4222")
	const text = "connect to nats://a:4222,nats://REDACTED@b:4222: nats: no servers"
	if got := s.String(text); got != text {
		t.Errorf("scrubbed %q to %q: the list read as one URL gave pieces that are no secret", text, got)
	}
	if got := s.String(pieceA + " " + pieceC); got != "REDACTED REDACTED" {
		t.Errorf("got %q", got)
	}
}

func TestHasCredentials(t *testing.T) {
	for _, sh := range secretShapes {
		if !HasCredentials(sh.secret) {
			t.Errorf("HasCredentials(%q) = false", sh.secret)
		}
	}
	for _, s := range []string{"nats://a:4222,nats://b:4222", "postgresql://loader@db/sales?sslmode=require", "postgresql://loader:@db/sales", "host=db user=u", "sqlite:///x.db"} {
		if HasCredentials(s) {
			t.Errorf("HasCredentials(%q) = true", s)
		}
	}
}

func TestNATSSecrets(t *testing.T) {
	if got := NATSSecrets("nats://a:4222, b:4222"); got != nil {
		t.Errorf("NATSSecrets without credentials = %q", got)
	}
	if got, want := NATSSecrets("tok@a:4222"), []string{"tok@a:4222", "nats://tok@a:4222"}; !slices.Equal(got, want) {
		t.Errorf("NATSSecrets = %q, want %q", got, want)
	}
	if got, want := NATSSecrets("nats://u:p@a:4222"), []string{"nats://u:p@a:4222"}; !slices.Equal(got, want) {
		t.Errorf("NATSSecrets = %q, want %q", got, want)
	}
}

func TestScrubberLearnsSecretsLater(t *testing.T) {
	s := New()
	if got := s.String(pieceA); got != pieceA {
		t.Fatalf("an empty Scrubber changed %q to %q", pieceA, got)
	}
	s.Add("nats://" + pieceA + "@bus")
	s.Add("passphrase-" + pieceC)
	if got := s.String(pieceA + " " + "passphrase-" + pieceC); strings.Contains(got, pieceA) || strings.Contains(got, pieceC) {
		t.Errorf("got %q", got)
	}
}

func TestScrubberErrorKeepsTheChain(t *testing.T) {
	s := New("postgresql://u:" + pieceA + "@h/d")
	cause := errors.New("auth failed for " + pieceA)
	err := s.Error(fmt.Errorf("open: %w", cause))
	if strings.Contains(err.Error(), pieceA) {
		t.Errorf("error shows the password: %v", err)
	}
	if !errors.Is(err, cause) {
		t.Error("the scrubbed error does not unwrap to its cause")
	}
	clean := errors.New("no secret here")
	if s.Error(clean) != clean {
		t.Error("an error without a secret was replaced")
	}
	if s.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	if m := Masked(cause, "safe"); m.Error() != "safe" || !errors.Is(m, cause) {
		t.Errorf("Masked = %v", m)
	}
}

// logValue is a value whose log form holds a secret.
type logValue struct{ inner string }

func (v logValue) LogValue() slog.Value { return slog.StringValue("v=" + v.inner) }

// textValue prints nothing secret with %+v but marshals a secret as text.
type textValue struct{}

func (textValue) String() string               { return "textValue" }
func (textValue) MarshalText() ([]byte, error) { return []byte("t-" + pieceA), nil }

// TestHandlerScrubsEveryPartOfARecord logs a secret through the text and
// JSON handlers in the message, in attributes of every kind, in groups, in
// With attributes and in errors, and finds no piece of it in the output.
func TestHandlerScrubsEveryPartOfARecord(t *testing.T) {
	for _, sh := range secretShapes {
		t.Run(sh.name, func(t *testing.T) {
			s := New(sh.secret)
			for name, mk := range map[string]func(io.Writer) slog.Handler{
				"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
				"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			} {
				var buf bytes.Buffer
				log := slog.New(s.Handler(mk(&buf)))
				p := sh.pieces[0]
				log.With("url", sh.secret).WithGroup("g").Info("connecting to "+sh.secret,
					"err", fmt.Errorf("dial: %w", errors.New("database="+p)),
					"host", p+":5432",
					"list", []string{"a", p},
					"group", slog.GroupValue(slog.String("inner", "x"+p), slog.Group("deeper", "pw", p)),
					"valuer", logValue{p},
					"text", textValue{},
					"n", 42, "d", time.Second,
				)
				if l := leaks(buf.String(), append(sh.pieces, sh.secret)); len(l) > 0 {
					t.Errorf("%s log holds %q:\n%s", name, l, buf.String())
				}
				if !strings.Contains(buf.String(), "42") || !strings.Contains(buf.String(), Redacted) {
					t.Errorf("%s log lost what is no secret or says nothing was redacted:\n%s", name, buf.String())
				}
			}
		})
	}
	t.Run("errors stay errors", func(t *testing.T) {
		var buf bytes.Buffer
		s := New("nats://" + pieceA + "@bus")
		slog.New(s.Handler(slog.NewJSONHandler(&buf, nil))).Error("x", "err", errors.New("token "+pieceA))
		if !strings.Contains(buf.String(), `"err":"token REDACTED"`) {
			t.Errorf("got %s", buf.String())
		}
	})
}

func TestWriterScrubsLinesSplitAcrossWrites(t *testing.T) {
	s := New("nats://" + pieceA + "@bus")
	var out bytes.Buffer
	w := s.Writer(&out)
	for _, part := range []string{"FILE  DETAIL\nfile.csv  token ", pieceA[:3], pieceA[3:], "\nlast ", pieceA} {
		if _, err := io.WriteString(w, part); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Contains(out.String(), "last") {
		t.Errorf("an unfinished line was written before Flush: %q", out.String())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "FILE  DETAIL\nfile.csv  token REDACTED\nlast REDACTED"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
