package source_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
)

type nowhere struct{}

func (nowhere) Open(context.Context, source.Env) (source.Source, error) { return nil, nil }
func (nowhere) String() string                                          { return "nowhere" }

func decodeNowhere(*settings.Block) source.Config { return nowhere{} }

func TestRegisterFindsATypeInAnyCase(t *testing.T) {
	source.Register(source.Info{Type: "reg-a", Decode: decodeNowhere})
	if info, ok := source.Lookup("REG-A"); !ok || info.Type != "reg-a" {
		t.Errorf("Lookup(REG-A) = %+v, %v", info, ok)
	}
	if _, ok := source.Lookup("reg-b"); ok {
		t.Error("Lookup(reg-b) found a type")
	}
	if types := source.Types(); !slices.Contains(types, "reg-a") || !slices.IsSorted(types) {
		t.Errorf("Types() = %v", types)
	}
}

func TestRegisterPanicsOnAMistake(t *testing.T) {
	source.Register(source.Info{Type: "reg-c", Decode: decodeNowhere})
	for _, tc := range []struct {
		name string
		info source.Info
		want string
	}{
		{"duplicate", source.Info{Type: "reg-c", Decode: decodeNowhere}, `"reg-c" registered twice`},
		{"no Decode", source.Info{Type: "reg-d"}, "needs a lower-case type and a Decode"},
		{"empty type", source.Info{Decode: decodeNowhere}, "needs a lower-case type"},
		{"upper case", source.Info{Type: "Reg-E", Decode: decodeNowhere}, "needs a lower-case type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			source.Register(tc.info)
		})
	}
}
