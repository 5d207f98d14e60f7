package all

import (
	_ "github.com/filedge/filedge/pkg/destination/databricks" // registers "databricks"
	_ "github.com/filedge/filedge/pkg/destination/files"      // registers "files"
	_ "github.com/filedge/filedge/pkg/destination/postgres"   // registers "postgres"
	_ "github.com/filedge/filedge/pkg/destination/sqlite"     // registers "sqlite"
)
