package all

import (
	_ "github.com/filedge/filedge/pkg/bus/kafkabus" // registers "kafka"
	_ "github.com/filedge/filedge/pkg/bus/natsbus"  // registers "nats"
)
