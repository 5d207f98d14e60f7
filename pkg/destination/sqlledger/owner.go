package sqlledger

import (
	"context"
	"fmt"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

// Claim records f.Owner as the owner of table in destination.TablesTable
// if the table has none, and rejects the file with a permanent
// destination.ErrTableOwned if another owner holds it (magic folder mode:
// two files that differ only by their extension, the first one seen owns
// the table). Writer.Write calls it in the commit's transaction tx, on the
// table's first batch, before it changes the table; now is the commit
// time. A concurrent claim of the same table by another file waits for
// that file's commit and then loses to it.
func (l *Ledger) Claim(ctx context.Context, tx Conn, f *destination.File, table string, now time.Time) error {
	owner := l.d.Text(f.Owner)
	if err := tx.Exec(ctx, l.claim, l.d.Text(f.Pipeline), table, owner, l.d.Time(now)); err != nil {
		return fmt.Errorf("table %q: claim: %w", table, err)
	}
	var holder string
	found, err := QueryRow(ctx, tx, l.owner, []any{table}, &holder)
	if err == nil && !found {
		err = fmt.Errorf("no owner after the claim")
	}
	if err != nil {
		return fmt.Errorf("table %q: read owner: %w", table, err)
	}
	if holder != owner {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w (owned by %s)", table, destination.ErrTableOwned, holder)}
	}
	return nil
}

// owned lists the tables f.Owner holds in f.Pipeline that still exist (a
// table dropped by hand since is passed over), sorted.
func (l *Ledger) owned(ctx context.Context, tx Conn, f *destination.File) ([]string, error) {
	var names []string
	err := tx.Query(ctx, l.ownedBy, []any{l.d.Text(f.Pipeline), l.d.Text(f.Owner)}, func(scan func(...any) error) error {
		var name string
		if err := scan(&name); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read owned tables: %w", err)
	}
	return names, nil
}
