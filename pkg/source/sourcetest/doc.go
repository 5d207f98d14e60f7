// Package sourcetest is the conformance suite of the source contract: every
// source.Source implementation runs Run against stores it fills with the
// files the suite asks for, and so proves that it lists exactly those files
// with their sizes and modification times, nested folders included, that
// Stat and Open agree with Walk, that missing files wrap
// source.ErrNotExist, that paths escaping the root are refused, and that
// names with spaces and non-ASCII letters work. A store with the optional
// abilities is checked for them too: a source.SkipWalker lists what Walk
// lists and skips no file; a source.ReadChecker accepts every file.
package sourcetest
