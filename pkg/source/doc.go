// Package source is the contract for file stores: list the files under a
// root, stat and open one, and (where the store can) notify changes. Stores
// register by type; pkg/source/local is the local folder.
package source
