package decode

// peekSize is the buffer size of the readers layers peek through.
const peekSize = 64 << 10
