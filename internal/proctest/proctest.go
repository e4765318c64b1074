// Package proctest lets end-to-end tests start fieldreg and reghub as real
// processes without building binaries: the test binary runs itself again as
// the program named in an environment variable.
package proctest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/cli"
	"github.com/fieldreg/fieldreg/cmd/reghub/commands"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
)

// Runner starts the test binary as fieldreg or reghub; Env is the variable
// that tells it which (one per test package).
type Runner struct{ Env string }

// BatchEnv names the variable that sets cli.Env.BatchSize in a fieldreg
// the test binary runs as (the crash harness: small files, several
// durable commits).
const BatchEnv = "FIELDREG_TEST_BATCH"

// ProfileEnv names the variable that makes every reghub the test binary
// runs as write a CPU profile into the directory it names, as
// reghub-PID.prof, when the command returns (a `reghub bundle import` of a
// benchmark; a serve killed by the test writes none):
//
//	FIELDREG_E2E_CPUPROFILE=/tmp/prof go test -run '^$' -bench Bundle100k -benchtime 1x ./sync/bundle/e2e/
//	go tool pprof -top /tmp/prof/reghub-*.prof
const ProfileEnv = "FIELDREG_E2E_CPUPROFILE"

// profiled runs main, under the CPU profiler when ProfileEnv names a
// directory.
func profiled(main func() int) int {
	dir := os.Getenv(ProfileEnv)
	if dir == "" {
		return main()
	}
	f, err := os.Create(filepath.Join(dir, "reghub-"+strconv.Itoa(os.Getpid())+".prof"))
	if err != nil {
		return main()
	}
	defer f.Close()
	if pprof.StartCPUProfile(f) != nil {
		return main()
	}
	defer pprof.StopCPUProfile()
	return main()
}

// Main is the test package's TestMain: run as the program Env names (with
// cheap Argon2id parameters for devices), or run the tests.
func (r Runner) Main(m *testing.M) {
	switch os.Getenv(r.Env) {
	case "reghub":
		os.Exit(profiled(func() int { return commands.Main(os.Args[1:], os.Stdout, os.Stderr) }))
	case "fieldreg":
		p := vault.LowParams
		env := &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Opts: device.Options{Params: &p}}
		env.BatchSize, _ = strconv.Atoi(os.Getenv(BatchEnv))
		os.Exit(cli.Run(env, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// Command prepares the test binary as prog ("fieldreg" or "reghub").
func (r Runner) Command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), r.Env+"="+prog)
	return cmd
}

// Run runs prog to completion and returns its exit status, standard output
// and standard error.
func (r Runner) Run(t testing.TB, prog string, args ...string) (int, string, string) {
	t.Helper()
	cmd := r.Command(prog, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// Must runs prog and fails the test unless it exits 0; it returns the
// standard output.
func (r Runner) Must(t testing.TB, prog string, args ...string) string {
	t.Helper()
	code, out, errs := r.Run(t, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s%s", prog, strings.Join(args, " "), code, out, errs)
	}
	return out
}
