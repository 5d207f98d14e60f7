package bustest

import (
	"context"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// Delivery is a bus.Delivery for testing a handler on its own, without a
// bus: it records how the handler settled it. Read its fields once the
// handler has returned.
type Delivery struct {
	Msg *bus.Message
	// N is what NumDelivered returns; 0 counts as 1, a first delivery.
	N uint64
	// Settled is "ack", "nak" or "term" once the handler settled the
	// delivery, "" before.
	Settled string
	// Delay is the delay the handler asked for with Nak.
	Delay time.Duration
}

var _ bus.Delivery = (*Delivery)(nil)

func (d *Delivery) Message() *bus.Message { return d.Msg }

func (d *Delivery) NumDelivered() uint64 { return max(d.N, 1) }

func (d *Delivery) Ack(context.Context) error { d.Settled = "ack"; return nil }

func (d *Delivery) Nak(_ context.Context, delay time.Duration) error {
	d.Settled, d.Delay = "nak", delay
	return nil
}

func (d *Delivery) Term(context.Context) error { d.Settled = "term"; return nil }

// InProgress does nothing: the handler's keep-alive may call it at any time.
func (d *Delivery) InProgress(context.Context) error { return nil }
