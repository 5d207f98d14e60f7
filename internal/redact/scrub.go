package redact

import (
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// MinPiece is the length, in bytes, below which a piece of a credential is
// not removed on its own. A piece is what lies between URL delimiters in a
// password (the 2024 and x of 2024/x); a driver that misreads the URL can
// print one alone (as a port, a database name). Pieces of one to three
// characters are everywhere in ordinary log text ("db", "err", "127", an
// hour "14"), so removing them would mangle every line while hiding at most
// about 18 bits of a random password; from four characters on a chance
// match is rare enough to bear (a piece such as 2026 still turns a year in
// a timestamp into REDACTED, which is the price of never printing it). A
// whole secret, and a whole password, token or credential parameter, is
// removed whatever its length.
const MinPiece = 4

// Scrubber removes known secrets from text. The zero value and nil remove
// nothing; Add teaches it secrets. It is safe for concurrent use.
type Scrubber struct {
	mu      sync.Mutex
	targets map[string]bool // every text removed

	// r replaces every target by Redacted; nil until a secret is added.
	// It is rebuilt by Add, read without a lock.
	r atomic.Pointer[strings.Replacer]
}

// New returns a Scrubber that removes secrets (see Add).
func New(secrets ...string) *Scrubber {
	s := &Scrubber{}
	s.Add(secrets...)
	return s
}

// Add makes s remove each secret from now on, whole, whatever its length.
// When a secret is a connection string that carries credentials (a URL
// with a password, a NATS token or a credential query parameter such as
// ?password= or ?sslpassword=; a keyword/value string with password=; a
// comma-separated list of URLs), s also removes each credential whole, as
// written, percent-decoded and as drivers escape or quote it, and each
// piece of it between the delimiters / : @ ? # & = % and white space that
// is MinPiece bytes or longer. Every form is removed as written and as %q
// and JSON print it.
//
// Empty secrets are ignored. Add rebuilds the replacer once per call: pass
// every secret at once.
func (s *Scrubber) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := false
	for _, v := range secrets {
		for _, t := range targets(v) {
			if t == "" || s.targets[t] {
				continue
			}
			if s.targets == nil {
				s.targets = map[string]bool{}
			}
			s.targets[t] = true
			added = true
		}
	}
	if !added {
		return
	}
	olds := make([]string, 0, len(s.targets))
	for t := range s.targets {
		olds = append(olds, t)
	}
	// The replacer tries its strings in argument order at each position:
	// longest first, so that a whole secret wins over its pieces.
	slices.SortFunc(olds, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b)) })
	pairs := make([]string, 0, 2*len(olds))
	for _, t := range olds {
		pairs = append(pairs, t, Redacted)
	}
	s.r.Store(strings.NewReplacer(pairs...))
}

// String returns v with every secret s knows replaced by REDACTED.
func (s *Scrubber) String(v string) string {
	if s == nil {
		return v
	}
	r := s.r.Load()
	if r == nil {
		return v
	}
	return r.Replace(v)
}

// Error returns err, or an error that reads err's message scrubbed (and
// unwraps to err) when that message holds a secret. Error(nil) is nil.
func (s *Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := s.String(msg); clean != msg {
		return &maskedError{msg: clean, err: err}
	}
	return err
}

// targets returns what removing secret v means: the texts to replace.
func targets(v string) []string {
	if v == "" {
		return nil
	}
	out := forms(v)
	for _, c := range credentials(v) {
		out = append(out, forms(c)...)
		for _, f := range decoded(c) {
			for _, p := range strings.FieldsFunc(f, isDelimiter) {
				if len(p) >= MinPiece {
					out = append(out, forms(p)...)
				}
			}
		}
	}
	return out
}

// HasCredentials reports whether the connection string v carries a
// credential that Add would remove on its own: a password, a NATS token, a
// credential query parameter or a keyword/value password. A URL without
// one says only where to connect, and need not be hidden.
func HasCredentials(v string) bool { return len(credentials(v)) > 0 }

// NATSSecrets returns what a Scrubber must know of s, a NATS server list
// (see NATSServers): s and its servers as NATS reads them, when they carry
// credentials; nil otherwise.
func NATSSecrets(s string) []string {
	servers := strings.Join(NATSServers(s), ",")
	switch {
	case !HasCredentials(servers):
		return nil
	case servers == s:
		return []string{s}
	}
	return []string{s, servers}
}

// credentials returns the credentials the connection string v carries:
// the passwords of every reading of its user info (see URL.UserInfos), a
// NATS token, the values of credential query parameters, and the password
// of a keyword/value string; nil when v is not a connection string or
// carries none.
func credentials(v string) []string {
	var out []string
	if pw, ok := KeywordPassword(v); ok && pw != "" {
		out = append(out, pw)
	}
	parts := []string{v}
	if strings.Contains(v, ",") {
		parts = append(parts, strings.Split(v, ",")...)
	}
	for _, p := range parts {
		u, ok := ParseURL(strings.TrimSpace(p))
		if !ok {
			continue
		}
		for _, ui := range u.UserInfos() {
			if strings.Contains(ui, "://") {
				// A list read as one URL: its parts give the credentials.
				continue
			}
			user, pw, hasPW := strings.Cut(ui, ":")
			switch {
			case hasPW && pw != "":
				out = append(out, pw)
			case !hasPW && user != "" && TokenScheme(u.Scheme):
				out = append(out, user)
			}
		}
		for _, c := range u.CredentialParams() {
			if c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// isDelimiter reports whether r separates the pieces of a credential.
func isDelimiter(r rune) bool {
	return strings.ContainsRune("/:@?#&=%", r) || unicode.IsSpace(r)
}

// decoded returns c as written and percent-decoded (as a path and as a
// query, where '+' is a space), without repeats.
func decoded(c string) []string {
	out := []string{c}
	if d, err := url.PathUnescape(c); err == nil && !slices.Contains(out, d) {
		out = append(out, d)
	}
	if d, err := url.QueryUnescape(c); err == nil && !slices.Contains(out, d) {
		out = append(out, d)
	}
	return out
}

// forms returns c, decoded, and each decoded form as drivers and
// formatters may print it: quoted by %q or JSON (without the quotes) and
// percent-encoded as a query value, a path and a password.
func forms(c string) []string {
	var out []string
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, d := range decoded(c) {
		add(d)
		q := strconv.Quote(d)
		add(q[1 : len(q)-1])
		if j, err := json.Marshal(d); err == nil {
			add(string(j[1 : len(j)-1]))
		}
		add(url.QueryEscape(d))
		add(url.PathEscape(d))
		add(strings.TrimPrefix(url.UserPassword("", d).String(), ":"))
	}
	return out
}
