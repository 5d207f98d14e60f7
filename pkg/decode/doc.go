// Package decode peels the layers under a file's format: encryption (PGP),
// compression and archives, and the text encoding, in that order from the
// outside in. Each layer is a function that takes an io.Reader and returns
// one that streams the layer's content, sniffing what it needs from the
// first bytes without consuming them (see peek), so that the layers stack
// and nothing is held beyond a small buffer.
//
// Only the text layer exists so far: Text turns UTF-16, UTF-32, Latin-1
// and Windows-1252 text into UTF-8 and drops a UTF-8 byte order mark.
package decode
