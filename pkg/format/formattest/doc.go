// Package formattest is the conformance suite every format reader runs
// (Run), with what its tests and fuzz targets share: a Recorder that
// records what a reader writes and checks the Writer contract, golden files
// of recorded results under testdata (rewritten with go test -update), and
// helpers to read bytes through a registered format (Read, ReadTo) and to
// check the errors a reader returns (CheckError, Fuzz).
package formattest
