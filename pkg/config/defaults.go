package config

// Defaults returns a pipeline with every default applied and no name,
// source or destination: the settings `filedge preview` uses when it is
// given no pipeline file.
func Defaults() *Pipeline {
	return &Pipeline{
		Mode:              Merge,
		OnError:           Fail,
		ModifiedFileMerge: "upsert_file",
		Format:            Format{JSONDelivery: "unpacked"},
		Limits:            DefaultLimits(),
		Bus:               Bus{Type: DefaultBusType},
		Watcher:           Watcher{Settle: DefaultSettle, Rescan: DefaultRescan},
		Parser:            Parser{Workers: DefaultWorkers, AckWait: DefaultAckWait, MaxLineBytes: DefaultMaxLineBytes, MaxAttempts: DefaultMaxAttempts},
		Sink:              Sink{Workers: DefaultWorkers, AckWait: DefaultAckWait, BatchIdle: DefaultBatchIdle},
	}
}

// DefaultLimits returns the limits: block's defaults.
func DefaultLimits() Limits {
	return Limits{
		MaxDecompressedBytes: DefaultMaxDecompressedBytes,
		MaxRatio:             DefaultMaxRatio,
		MaxMembers:           DefaultMaxMembers,
		MaxLineBytes:         DefaultMaxLineBytes,
		MaxFieldBytes:        DefaultMaxFieldBytes,
		MaxSpoolBytes:        DefaultMaxSpoolBytes,
	}
}

// Delimiter decodes a delimiter as written in pipeline.yaml or on a command
// line: one character or several (||); \t is a tab, \s a space, \\ a
// backslash.
func Delimiter(s string) (string, error) { return decodeDelimiter(s) }
