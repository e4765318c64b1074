package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
)

// testEnv runs commands like the real binary but with cheap Argon2id
// parameters, so scripts stay fast.
func testEnv() *Env {
	p := vault.LowParams
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Opts: device.Options{Params: &p}}
}

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"fieldreg": func() { os.Exit(Run(testEnv(), os.Args[1:])) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script", Cmds: map[string]func(*testscript.TestScript, bool, []string){
		// setfirst VAR FILE: VAR is the first word of FILE (an ID a command printed).
		"setfirst": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: setfirst VAR FILE")
			}
			f := strings.Fields(ts.ReadFile(args[1]))
			if len(f) == 0 {
				ts.Fatalf("%s is empty", args[1])
			}
			ts.Setenv(args[0], f[0])
		},
	}})
}
