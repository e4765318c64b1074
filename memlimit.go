package main

import (
	"os"
	"runtime/debug"
)

// goMemLimit is a soft limit on the memory the Go runtime itself manages
// (heap, stacks, its own metadata) while the window is open. With the
// runtime's default alone, the heap grows to twice what is live before it
// is collected, and those pages stay resident: scrolling 100,000 records
// keeps about 28 MB live but 56 MB resident (docs/benchmarks.md). Under the
// limit the collector runs earlier instead, a few more times a second
// while scrolling, at about 1% CPU. The limit is soft: unlocking (Argon2id
// needs 64 MiB) goes over it for a moment and is not slowed, and should the
// app ever need more, the runtime spends at most half the CPU on collecting
// and then lets the heap grow past the limit.
const goMemLimit = 48 << 20

// withMemoryLimit sets goMemLimit unless the operator set GOMEMLIMIT (which
// the runtime has already applied). It changes nothing outside Go: Fyne's
// textures, the OpenGL driver and SQLite allocate with C's malloc.
func withMemoryLimit() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return
	}
	debug.SetMemoryLimit(goMemLimit)
}
