// Package all registers every bus type filedge ships. cmd/filedge imports
// it for its side effects; nothing else should.
package all
