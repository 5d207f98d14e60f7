package postgres

import (
	"context"
	"fmt"

	"github.com/filedge/filedge/pkg/destination"
)

var _ destination.Pinger = (*DB)(nil)

// Ping checks that the database answers on one of the pool's connections.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres destination %q: %w", d.name, err)
	}
	return nil
}
