package device

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Every platform's default data directory, from its environment: drive
// letters, backslashes, redirected (UNC) folders, trailing separators,
// and the fallbacks when a variable is missing or relative.
func TestDefaultDirPerPlatform(t *testing.T) {
	tests := []struct {
		goos string
		env  map[string]string
		want string
	}{
		{"windows", map[string]string{"AppData": `C:\Users\Officer Testovic\AppData\Roaming`}, `C:\Users\Officer Testovic\AppData\Roaming\fieldreg`},
		{"windows", map[string]string{"AppData": `C:\Users\o\AppData\Roaming\`}, `C:\Users\o\AppData\Roaming\fieldreg`},
		{"windows", map[string]string{"AppData": `d:/profiles/o/AppData/Roaming`}, `d:/profiles/o/AppData/Roaming\fieldreg`},
		{"windows", map[string]string{"AppData": `\\fileserver\profiles$\o\AppData\Roaming`}, `\\fileserver\profiles$\o\AppData\Roaming\fieldreg`},
		{"windows", map[string]string{"USERPROFILE": `D:\Users\o`}, `D:\Users\o\AppData\Roaming\fieldreg`},
		{"windows", map[string]string{"AppData": `AppData\Roaming`, "USERPROFILE": `C:\Users\o`}, `C:\Users\o\AppData\Roaming\fieldreg`},
		{"windows", map[string]string{"AppData": `C:`, "USERPROFILE": `C:`}, "fieldreg-data"},
		{"windows", map[string]string{"HOME": "/home/o"}, "fieldreg-data"},
		{"linux", map[string]string{"HOME": "/home/o"}, "/home/o/.config/fieldreg"},
		{"linux", map[string]string{"HOME": "/home/o", "XDG_CONFIG_HOME": "/srv/conf/"}, "/srv/conf/fieldreg"},
		{"linux", map[string]string{"HOME": "/home/o", "XDG_CONFIG_HOME": "conf"}, "/home/o/.config/fieldreg"},
		{"linux", map[string]string{"AppData": `C:\x`}, "fieldreg-data"},
		{"freebsd", map[string]string{"HOME": "/usr/home/o"}, "/usr/home/o/.config/fieldreg"},
		{"android", map[string]string{"FILESDIR": "/data/user/0/org.fieldreg.app/files"}, "/data/user/0/org.fieldreg.app/files/fieldreg"},
		{"android", map[string]string{"HOME": "/"}, "fieldreg-data"},
		{"darwin", map[string]string{"HOME": "/Users/o"}, "/Users/o/Library/Application Support/fieldreg"},
	}
	for _, tt := range tests {
		if got := defaultDir(tt.goos, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.goos, tt.env, got, tt.want)
		}
	}
}

// On this machine the rule agrees with the standard library's.
func TestDefaultDirAgreesWithUserConfigDir(t *testing.T) {
	d, err := os.UserConfigDir()
	if err != nil {
		t.Skipf("no user config dir here: %v", err)
	}
	if got, want := DefaultDir(), filepath.Join(d, "fieldreg"); got != want {
		t.Errorf("DefaultDir() = %q, os.UserConfigDir gives %q (%s)", got, want, runtime.GOOS)
	}
}
