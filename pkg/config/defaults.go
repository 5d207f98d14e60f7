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
		Bus:               Bus{DataDir: DefaultDataDir, SyncAlways: true, BatchRetention: DefaultBatchRetention},
		Watcher:           Watcher{Settle: DefaultSettle, Rescan: DefaultRescan},
		Parser:            Parser{Workers: DefaultWorkers, AckWait: DefaultAckWait, MaxLineBytes: DefaultMaxLineBytes},
		Sink:              Sink{Workers: DefaultWorkers, AckWait: DefaultAckWait, BatchIdle: DefaultBatchIdle},
	}
}

// Delimiter decodes a delimiter as written in pipeline.yaml or on a command
// line: \t is a tab, \s a space, \\ a backslash.
func Delimiter(s string) (string, error) { return decodeDelimiter(s) }
