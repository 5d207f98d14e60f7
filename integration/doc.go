// Package integration holds filedge's end-to-end tests: the real binary,
// run as separate OS processes against the machine's NATS server and
// PostgreSQL, killed and restarted while files land, and the rows checked
// one by one afterwards. `make test` runs them; they need FILEDGE_NATS_URL
// and FILEDGE_POSTGRES_URL (the Makefile sets both).
package integration
