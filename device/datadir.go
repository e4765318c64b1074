package device

import (
	"os"
	"path"
	"runtime"
	"strings"
)

// DefaultDir is where a device keeps its data when --data is not given:
// "fieldreg" in the user's configuration directory, the place
// os.UserConfigDir names (Linux: $XDG_CONFIG_HOME or ~/.config; Windows:
// %AppData%; macOS: ~/Library/Application Support), and on Android the
// app's private files directory. Only when none is known is it
// "fieldreg-data" in the working directory.
func DefaultDir() string { return defaultDir(runtime.GOOS, os.Getenv) }

// defaultDir is DefaultDir for an operating system and its environment,
// written without the running system's path rules so that every
// platform's rule is tested on any machine.
func defaultDir(goos string, getenv func(string) string) string {
	switch goos {
	case "windows":
		// %AppData% may be redirected to a server (\\server\share\...).
		// Without it (a service, a stripped environment) the profile's
		// Roaming folder, never the working directory: a program started
		// from the Start menu may be sitting in C:\Program Files.
		if d := getenv("AppData"); winAbs(d) {
			return winJoin(d, "fieldreg")
		}
		if d := getenv("USERPROFILE"); winAbs(d) {
			return winJoin(winJoin(d, `AppData\Roaming`), "fieldreg")
		}
	case "android":
		// Fyne sets FILESDIR to the app's private storage; HOME is unset.
		if d := getenv("FILESDIR"); strings.HasPrefix(d, "/") {
			return path.Join(d, "fieldreg")
		}
	case "darwin", "ios":
		if h := getenv("HOME"); strings.HasPrefix(h, "/") {
			return path.Join(h, "Library", "Application Support", "fieldreg")
		}
	default:
		// As os.UserConfigDir: a relative XDG_CONFIG_HOME is ignored.
		if x := getenv("XDG_CONFIG_HOME"); strings.HasPrefix(x, "/") {
			return path.Join(x, "fieldreg")
		}
		if h := getenv("HOME"); strings.HasPrefix(h, "/") {
			return path.Join(h, ".config", "fieldreg")
		}
	}
	return "fieldreg-data"
}

// winAbs reports whether p is an absolute Windows path: a drive letter
// with a separator (C:\ or C:/) or a UNC path (\\server\share).
func winAbs(p string) bool {
	if strings.HasPrefix(p, `\\`) || strings.HasPrefix(p, "//") {
		return len(strings.Trim(p, `\/`)) > 0
	}
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') &&
		('A' <= p[0] && p[0] <= 'Z' || 'a' <= p[0] && p[0] <= 'z')
}

// winJoin joins a Windows directory and a name with one backslash.
func winJoin(dir, name string) string {
	return strings.TrimRight(dir, `\/`) + `\` + name
}
