// Package decode peels the layers under a file's format: encryption (PGP),
// compression and archives, and the text encoding, in that order from the
// outside in. Each layer is a reader over the one beneath it, sniffing what
// it needs from the first bytes without consuming them, so that the layers
// stack and stream: nothing is held beyond small buffers, except a zip
// that is not stored in place (it needs random access) and is held in
// memory up to a cap. Nothing is ever written to disk.
//
// Walk peels PGP, compression and archives and hands each leaf (the file,
// or each member of its archives) to a function; Text turns text in
// UTF-16, UTF-32 or a legacy encoding (set, or detected by Detect) into
// UTF-8, checks UTF-8, drops a byte order mark, and fails at a byte that
// is not valid in the text's encoding (*EncodingError) rather than
// replace it. The parser calls Walk, then Text for text formats.
//
// # Limits
//
// compress/* and archive/* put no bound on what they produce. Every reader
// Walk stacks counts its output against Limits: the bytes all the file's
// decompressors produce together (MaxBytes), the ratio of each one's output
// to its input and of the total to the stored file (MaxRatio, once past
// 1 MiB), the members of its archives (MaxMembers), and the memory one layer
// may hold (MaxSpoolBytes: a zip held in memory, a zstd window, an xz
// dictionary). Deflate cannot expand more than 1032 times, so a zip bomb
// of the classic kind fails after its first MiB; nested and overlapping
// bombs fail on the file's total ratio.
//
// # Errors
//
// *FileError (a corrupt layer, a PGP message that cannot be decrypted or
// verified), *LimitError and *EncodingError are permanent: IsPermanent reports them, and
// the same bytes fail the same way again. Errors of the storage and of the
// context pass through as they are, to be retried. A leaf's reader can
// fail at any read, including its last (a PGP message is verified at its
// end): a caller treats such a leaf as failed whole.
package decode
