package config

import (
	"cmp"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/settings"
)

// settable lists the keys Set accepts.
var settable = []string{
	"file_type", "format", "delimiter", "encoding", "json_delivery", "on_error",
	"quote_char", "escape_char", "null_sequence", "skip_header_lines",
	"skip_footer_lines", "headerless", "line_separator", "xml_record_path",
	"compression", "archive_pattern",
	"pgp.private_key", "pgp.passphrase", "pgp.trusted_signers",
	"limits.max_decompressed_bytes", "limits.max_ratio", "limits.max_members",
	"limits.max_line_bytes", "limits.max_field_bytes", "limits.max_spool_bytes",
	"parser.max_line_bytes",
}

// Set changes one setting of p as if `key: value` were written in
// pipeline.yaml, with the same checks; `filedge preview` applies its flags
// with it. key is a top-level format or layer key (file_type, delimiter,
// quote_char, compression, archive_pattern, ...), on_error, a key of the
// limits: block as limits.max_ratio (parser.max_line_bytes is the same as
// limits.max_line_bytes), or a key of the pgp: block as pgp.private_key.
//
// value is taken as written, without ${VAR} expansion (the shell has done
// it), except that a pgp value must be exactly a ${VAR} reference, expanded
// from the process environment; pgp.trusted_signers takes one or more,
// separated by commas. Set pgp.private_key before the other pgp keys.
//
// Set returns a *Errors naming the key when key is unknown or value is
// not valid, and then leaves p unchanged. It is not safe for concurrent use
// with other uses of p.
func (p *Pipeline) Set(key, value string) error {
	return p.set(key, value, os.LookupEnv)
}

// set is Set with lookup in place of os.LookupEnv.
func (pl *Pipeline) set(key, value string, lookup func(string) (string, bool)) error {
	p := newParser("", pl.Dir, lookup)
	p.Literal = true
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	f := &pl.Format
	switch key {
	case "file_type", "format":
		if code, delim, ok := p.fileType(n, key); ok {
			f.FileType = code
			f.Delimiter = cmp.Or(f.Delimiter, delim)
		}
	case "delimiter":
		if v, ok := p.separator(n, key); ok {
			f.Delimiter = v
		}
	case "encoding":
		if v, ok := p.encoding(n, key); ok {
			f.Encoding = v
		}
	case "json_delivery":
		f.JSONDelivery = p.Enum(n, key, f.JSONDelivery, "unpacked", "packed")
	case "on_error":
		pl.OnError = OnError(p.Enum(n, key, string(pl.OnError), string(Fail), string(Skip)))
	case "quote_char":
		if v, ok := p.quoteChar(n, key); ok {
			f.QuoteChar = v
		}
	case "escape_char":
		if v, ok := p.char(n, key); ok {
			f.EscapeChar = v
		}
	case "null_sequence":
		if v, ok := p.nullSequence(n, key); ok {
			f.NullSequence = v
		}
	case "skip_header_lines":
		f.SkipHeaderLines = p.nonNegativeInt(n, key, f.SkipHeaderLines)
	case "skip_footer_lines":
		f.SkipFooterLines = p.nonNegativeInt(n, key, f.SkipFooterLines)
	case "headerless":
		f.Headerless = p.Bool(n, key, f.Headerless)
	case "line_separator":
		if v, ok := p.lineSeparator(n, key); ok {
			f.LineSeparator = v
		}
	case "xml_record_path":
		if v, ok := p.xmlRecordPath(n, key); ok {
			f.XMLRecordPath = v
		}
	case "compression":
		if v, ok := p.compression(n, key); ok {
			pl.Layers.Compression = v
		}
	case "archive_pattern":
		if re := p.compile(n, key, value, "member"); re != nil {
			pl.Layers.ArchivePattern = re
		}
	case "pgp.private_key":
		if s, ok := p.pgpKey(n, key, true); ok {
			if pl.Layers.PGP == nil {
				pl.Layers.PGP = &PGP{}
			}
			pl.Layers.PGP.PrivateKey = s
		}
	case "pgp.passphrase", "pgp.trusted_signers":
		if pl.Layers.PGP == nil {
			p.Add(nil, key, nil, "set pgp.private_key first: %s needs the key it unlocks or checks against", key)
			break
		}
		if key == "pgp.passphrase" {
			if s, ok := p.secretRef(n, key, "a passphrase", "${PGP_PASSPHRASE}"); ok {
				pl.Layers.PGP.Passphrase = s
			}
			break
		}
		var signers []settings.Secret
		for ref := range strings.SplitSeq(value, ",") {
			if s, ok := p.pgpKey(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(ref)}, key, false); ok {
				signers = append(signers, s)
			}
		}
		if len(p.Errors()) == 0 {
			pl.Layers.PGP.TrustedSigners = signers
		}
	case "limits.max_decompressed_bytes":
		pl.Limits.MaxDecompressedBytes = p.Size(n, key, pl.Limits.MaxDecompressedBytes)
	case "limits.max_ratio":
		pl.Limits.MaxRatio = int64(p.PositiveInt(n, key, int(pl.Limits.MaxRatio)))
	case "limits.max_members":
		pl.Limits.MaxMembers = p.PositiveInt(n, key, pl.Limits.MaxMembers)
	case "limits.max_line_bytes", "parser.max_line_bytes":
		v := p.IntSize(n, key, pl.Limits.MaxLineBytes)
		if len(p.Errors()) == 0 {
			pl.Limits.MaxLineBytes, pl.Parser.MaxLineBytes = v, v
		}
	case "limits.max_field_bytes":
		pl.Limits.MaxFieldBytes = p.IntSize(n, key, pl.Limits.MaxFieldBytes)
	case "limits.max_spool_bytes":
		pl.Limits.MaxSpoolBytes = p.Size(n, key, pl.Limits.MaxSpoolBytes)
	default:
		msg := "unknown key, or not one Set changes (known: " + strings.Join(settable, ", ") + ")"
		if s := settings.Suggest(key, settable); s != "" {
			msg = "unknown key; did you mean " + s + "?"
		}
		p.Add(nil, key, settings.ErrUnknownKey, "%s", msg)
	}
	if errs := p.Errors(); len(errs) > 0 {
		return &errs
	}
	return nil
}

// SettableKeys lists the keys Set accepts, in a stable order.
func SettableKeys() []string { return append([]string(nil), settable...) }
