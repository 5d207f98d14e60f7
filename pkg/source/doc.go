// Package source is the contract for file stores: list the files under a
// root, stat and open one, and (where the store can) notify changes.
//
// A store type is one package that registers an Info from init (see
// Register): its type name and Decode, which reads the type's own keys
// from pipeline.yaml's source: block into the type's settings struct
// (pkg/settings) and returns it as a Config, the factory that opens the
// store. pkg/config reads only the pipeline's keys of the block (type,
// pattern) and hands the rest to Decode. pkg/source/local is the local
// folder.
package source
