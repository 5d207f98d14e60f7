package natsbus

import (
	"context"
	"fmt"

	"github.com/filedge/filedge/pkg/bus"
)

// Ping checks that the server answers JetStream requests. It returns nil
// when it does; while the connection is lost, an error with the reason the
// last attempt failed.
func (b *Bus) Ping(ctx context.Context) error {
	if b.closed.Load() {
		return fmt.Errorf("natsbus: ping: %w", bus.ErrClosed)
	}
	if !b.nc.IsConnected() {
		if last := b.nc.LastError(); last != nil {
			return fmt.Errorf("natsbus: %w: %w", errDisconnected, last)
		}
		return fmt.Errorf("natsbus: %w", errDisconnected)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("natsbus: ping: %w", classify(err))
	}
	return nil
}
