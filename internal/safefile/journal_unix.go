//go:build unix

package safefile

import (
	"os"
	"syscall"
)

// holdEntry makes the journal entry f show that its writer is alive: an
// exclusive lock, held until f is closed (the kernel drops it when the
// process dies, however it dies).
func holdEntry(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// claimEntry removes the journal entry at path unless its writer is alive
// (it holds the lock). It reports whether the entry was removed.
func claimEntry(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false // an export is running in another process
	}
	return os.Remove(path) == nil
}
