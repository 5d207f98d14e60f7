package all

import (
	_ "github.com/filedge/filedge/pkg/source/local" // registers "local"
)
