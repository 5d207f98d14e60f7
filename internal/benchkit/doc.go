// Package benchkit holds what filedge's benchmarks share: the generated
// orders file that `make bench` loads and the CSV benchmarks parse, and
// throughput per CPU second, the fair figure on a busy machine.
package benchkit
