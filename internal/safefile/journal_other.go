//go:build !unix

package safefile

import "os"

// holdEntry keeps the journal entry open: on Windows an open file cannot
// be deleted, which is what claimEntry relies on.
func holdEntry(*os.File) error { return nil }

// claimEntry removes the journal entry at path unless its writer still
// holds it open. It reports whether the entry was removed.
func claimEntry(path string) bool { return os.Remove(path) == nil }
