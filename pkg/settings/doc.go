// Package settings reads the blocks of a settings file (pipeline.yaml) for
// whoever owns them: pkg/config for the pipeline's own keys, and each
// registered component (a destination, a source) for its block, so that a
// component declares its settings as a struct and adding one needs no
// change to pkg/config. One decoder serves them all, with the errors users
// know: line and column, the dotted key (destinations[1].url), unknown keys
// with a "did you mean", wrong kinds, durations and sizes, ${VAR}
// expansion.
//
// File reads one file's YAML nodes and collects every problem; its
// methods (Mapping, Str, Enum, Duration, Size, ...) are what pkg/config
// reads the pipeline's keys with. File.Block hands a component one mapping,
// and Block.Decode fills the component's struct from its `yaml:"key"` tags;
// the component reports what else is wrong with Block.Errorf.
//
// Credentials: a Secret never prints (String, LogValue, JSON: REDACTED).
// Decode refuses a Secret the file writes instead of taking it from the
// environment (a password in a URL in any shape, a token that is not
// exactly one ${VAR}), before expansion, and no message quotes one.
// Secrets lists the Secrets a decoded struct holds, for a process to scrub
// from all it prints.
//
// The package imports nothing of filedge but internal/redact, so that
// contracts and implementations alike can use it.
package settings
