// Package e2e holds sync's end-to-end tests: a hub and devices as real
// processes on loopback (the test binary runs itself as reghub or fieldreg),
// fault injection (cut connections, killed processes), hostile input, the
// property test of replica convergence, and the benchmarks of docs/sync.md.
// It has no code of its own.
package e2e
