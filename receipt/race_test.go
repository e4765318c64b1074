//go:build race

package receipt

// raceEnabled: the race detector slows Ed25519 tenfold, so the exhaustive
// tests sample.
const raceEnabled = true
