package main

import (
	"net/url"
	"sort"
	"strings"

	"github.com/filedge/filedge/pkg/config"
)

// minSecretPiece is the shortest password that redactor removes on its own;
// a shorter one would mangle ordinary words (whole URLs are always
// removed).
const minSecretPiece = 4

// redactor returns a function that removes the pipeline's credentials
// (destination and bus URLs, and their passwords) from a message, for the
// errors readiness reports show. Drivers' errors are redacted where they
// are made; this is the second line of defence.
func redactor(p *config.Pipeline) func(string) string {
	var secrets []string
	add := func(raw string) {
		for _, s := range strings.Split(raw, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			secrets = append(secrets, s)
			if u, err := url.Parse(s); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) >= minSecretPiece {
					secrets = append(secrets, pw, url.QueryEscape(pw))
				}
			}
		}
	}
	for _, d := range p.Destinations {
		add(d.URL.Reveal())
	}
	add(p.Bus.URL)
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		pairs = append(pairs, s, "REDACTED")
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}
