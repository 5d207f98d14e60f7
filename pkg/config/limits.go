package config

import (
	"github.com/filedge/filedge/pkg/settings"
)

// limits reads the limits: block's keys m.
func (p *parser) limits(m settings.Fields) Limits {
	return Limits{
		MaxDecompressedBytes: p.Size(m.Val("max_decompressed_bytes"), "limits.max_decompressed_bytes", DefaultMaxDecompressedBytes),
		MaxRatio:             int64(p.PositiveInt(m.Val("max_ratio"), "limits.max_ratio", DefaultMaxRatio)),
		MaxMembers:           p.PositiveInt(m.Val("max_members"), "limits.max_members", DefaultMaxMembers),
		MaxLineBytes:         p.IntSize(m.Val("max_line_bytes"), "limits.max_line_bytes", DefaultMaxLineBytes),
		MaxFieldBytes:        p.IntSize(m.Val("max_field_bytes"), "limits.max_field_bytes", DefaultMaxFieldBytes),
		MaxSpoolBytes:        p.Size(m.Val("max_spool_bytes"), "limits.max_spool_bytes", DefaultMaxSpoolBytes),
	}
}

// maxLineBytes makes parser.max_line_bytes (field pf) and
// limits.max_line_bytes (field lf), two spellings of one setting, agree in
// pl: the one given wins over the default; both given must be equal.
func (p *parser) maxLineBytes(pf, lf settings.Field, pl *Pipeline) {
	const pk, lk = "parser.max_line_bytes", "limits.max_line_bytes"
	switch {
	case settings.Present(pf.Val) && settings.Present(lf.Val):
		if p.Failed(pk) || p.Failed(lk) || pl.Parser.MaxLineBytes == pl.Limits.MaxLineBytes {
			return
		}
		first, later, laterKey := pf, lf, lk
		if pf.Key.Line > lf.Key.Line {
			first, later, laterKey = lf, pf, pk
		}
		other := pk
		if laterKey == pk {
			other = lk
		}
		p.Add(later.Key, laterKey, nil, "%s (line %d) and %s differ: they are the same setting; give one", other, first.Key.Line, laterKey)
	case settings.Present(pf.Val):
		pl.Limits.MaxLineBytes = pl.Parser.MaxLineBytes
	case settings.Present(lf.Val):
		pl.Parser.MaxLineBytes = pl.Limits.MaxLineBytes
	}
}
