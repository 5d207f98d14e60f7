package redact

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Handler returns a slog.Handler that passes every record to h with the
// secrets s knows removed from its message and from its attributes' values,
// in groups too. A value that is a string or an error is scrubbed as text
// (an error stays an error); any other value is replaced by its scrubbed
// text only when its printed form (%+v, or its JSON or text marshalling)
// holds a secret. Numbers, times and the like are passed as they are.
// Attributes given to WithAttrs are scrubbed with the secrets s knows then.
func (s *Scrubber) Handler(h slog.Handler) slog.Handler {
	return &handler{s: s, h: h}
}

type handler struct {
	s *Scrubber
	h slog.Handler
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.s.r.Load() == nil {
		return h.h.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, h.s.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.s.attr(a))
		return true
	})
	return h.h.Handle(ctx, out)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.s.attr(a)
	}
	return &handler{s: h.s, h: h.h.WithAttrs(clean)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{s: h.s, h: h.h.WithGroup(name)}
}

// attr returns a with the secrets s knows removed from its value.
func (s *Scrubber) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, s.String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = s.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		return slog.Attr{Key: a.Key, Value: s.anyValue(v)}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// anyValue scrubs a value of kind Any.
func (s *Scrubber) anyValue(v slog.Value) slog.Value {
	switch x := v.Any().(type) {
	case nil:
		return v
	case error:
		return slog.AnyValue(s.Error(x))
	default:
		text := fmt.Sprintf("%+v", x)
		if clean := s.String(text); clean != text {
			return slog.StringValue(clean)
		}
		// The handlers print these instead of %+v.
		var marshalled []byte
		switch m := x.(type) {
		case encoding.TextMarshaler:
			marshalled, _ = m.MarshalText()
		case json.Marshaler:
			marshalled, _ = m.MarshalJSON()
		}
		if m := string(marshalled); s.String(m) != m {
			return slog.StringValue(s.String(text))
		}
		return v
	}
}
