package destination_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

type nothing struct{}

func (nothing) Open(context.Context, destination.Env) (destination.Destination, error) {
	return nil, nil
}

func decodeNothing(*settings.Block) destination.Config { return nothing{} }

func TestRegisterFindsATypeByItsNameOrAliasInAnyCase(t *testing.T) {
	destination.Register(destination.Info{Type: "reg-a", Aliases: []string{"reg-a1", "reg-a2"}, Atomicity: destination.PerTable, Decode: decodeNothing})
	for _, name := range []string{"reg-a", "REG-A", "reg-a2", "Reg-A1"} {
		info, ok := destination.Lookup(name)
		if !ok || info.Type != "reg-a" || info.Atomicity != destination.PerTable {
			t.Errorf("Lookup(%q) = %+v, %v", name, info, ok)
		}
	}
	if _, ok := destination.Lookup("reg-a3"); ok {
		t.Error("Lookup(reg-a3) found a type")
	}
	if types := destination.Types(); !slices.Contains(types, "reg-a") || slices.Contains(types, "reg-a1") || !slices.IsSorted(types) {
		t.Errorf("Types() = %v: want the sorted types, without aliases", types)
	}
}

func TestRegisterPanicsOnAMistake(t *testing.T) {
	destination.Register(destination.Info{Type: "reg-b", Aliases: []string{"reg-b1"}, Atomicity: destination.AllTables, Decode: decodeNothing})
	for _, tc := range []struct {
		name string
		info destination.Info
		want string
	}{
		{"duplicate type", destination.Info{Type: "reg-b", Atomicity: destination.AllTables, Decode: decodeNothing}, `"reg-b" claimed by "reg-b" and "reg-b"`},
		{"type taken as an alias", destination.Info{Type: "reg-b1", Atomicity: destination.AllTables, Decode: decodeNothing}, `"reg-b1" claimed by "reg-b" and "reg-b1"`},
		{"alias taken", destination.Info{Type: "reg-c", Aliases: []string{"reg-b"}, Atomicity: destination.AllTables, Decode: decodeNothing}, `"reg-b" claimed by "reg-b" and "reg-c"`},
		{"alias given twice", destination.Info{Type: "reg-d", Aliases: []string{"reg-d"}, Atomicity: destination.AllTables, Decode: decodeNothing}, `"reg-d" given twice`},
		{"no Decode", destination.Info{Type: "reg-e", Atomicity: destination.AllTables}, "needs a Decode"},
		{"no Atomicity", destination.Info{Type: "reg-f", Decode: decodeNothing}, "declare its Atomicity"},
		{"empty type", destination.Info{Atomicity: destination.AllTables, Decode: decodeNothing}, "not empty"},
		{"upper case", destination.Info{Type: "Reg-G", Atomicity: destination.AllTables, Decode: decodeNothing}, "lower case"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one saying %q", r, tc.want)
				}
			}()
			destination.Register(tc.info)
		})
	}
	if _, ok := destination.Lookup("reg-c"); ok {
		t.Error("a refused registration left its type registered")
	}
}
