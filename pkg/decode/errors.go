package decode

import "errors"

// ErrUnknownEncoding is a text encoding name Text does not know.
var ErrUnknownEncoding = errors.New("decode: unknown text encoding")
