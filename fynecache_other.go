//go:build !((linux && !android) || darwin || freebsd)

package main

// withFyneCache does nothing where a program cannot start itself again in
// place (Android, Windows): Fyne keeps its default cache time there.
func withFyneCache() {}
