package sqlite

import (
	"context"
	"fmt"

	"github.com/filedge/filedge/pkg/destination"
)

var _ destination.Pinger = (*DB)(nil)

// Ping checks that the database file can be opened and read.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("open %s: %w", d.path, err)
	}
	return nil
}
