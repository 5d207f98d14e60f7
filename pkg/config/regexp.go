package config

import (
	"encoding/json"
	"regexp"
)

// Regexp is a compiled regular expression that keeps its source text.
type Regexp struct {
	*regexp.Regexp
}

// MarshalJSON implements json.Marshaler.
func (r *Regexp) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
