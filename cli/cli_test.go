package cli

import (
	"os"
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
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}
