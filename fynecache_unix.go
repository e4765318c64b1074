//go:build (linux && !android) || darwin || freebsd

package main

import (
	"os"
	"syscall"
)

// fyneCache is how long Fyne keeps rendered text and images after they
// leave the screen. Its default, a minute, lets scrolling through a long
// records list pile up a minute of row textures: about 100 MB more resident
// memory on a software renderer (docs/benchmarks.md). Five seconds keeps
// what was just seen, so scrolling back is still instant.
const fyneCache = "5s"

// withFyneCache makes sure FYNE_CACHE is set before Fyne reads it. Fyne
// reads it once, while its packages initialise, before main runs; so when
// it is not set the program starts itself again, in place (same process
// ID), with it set. An operator's own FYNE_CACHE is kept.
func withFyneCache() {
	if _, ok := os.LookupEnv("FYNE_CACHE"); ok {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "FYNE_CACHE="+fyneCache)
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure: run with Fyne's default
}
