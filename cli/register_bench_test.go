package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRegisterJSON runs `fieldreg register --json` of b.N generated,
// obviously fake people into a fresh standalone device, in process:
// reading and checking the file, the import tokens, sealing, signing and
// the durable batches of 5,000. It reports registrations per second and
// the CPU time (user and system, every thread) per registration.
//
//	go test -run '^$' -bench RegisterJSON -benchtime 100000x ./cli/
func BenchmarkRegisterJSON(b *testing.B) {
	dir := b.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	run := func(args ...string) {
		b.Helper()
		var errs bytes.Buffer
		env := testEnv()
		env.Stdout, env.Stderr = io.Discard, &errs
		if rc := Run(env, args); rc != 0 {
			b.Fatalf("%v: exit %d: %s", args[0], rc, errs.String())
		}
	}
	run("init", "--data", data, "--standalone", "--country", "BIH", "--station", "BIH-TEST-1", "--officer", "Officer Testa",
		"--passphrase-file", pass, "--recovery-key-out", filepath.Join(dir, "recovery.txt"))
	var in strings.Builder
	family := []string{"Testafi", "Benchkov", "Loadić", "Sampleri", "Mockhani", "Fakezadeh", "Dummyov", "Probeva"}
	given := []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"}
	for i := range b.N {
		fmt.Fprintf(&in, `{"family_name": "%s%d", "given_names": "%s", "sex": "%s", "birth_date": "%d-%02d-%02d", "nationalities": ["AFG"], "category": "irregular_crossing", "document": {"type": "passport", "number": "X%08d", "issuing_country": "AFG"}, "languages": ["prs"]}`+"\n",
			family[i%len(family)], i%5000, given[(i/7)%len(given)], []string{"F", "M"}[i%2], 1960+i%45, 1+i%12, 1+i%28, i)
	}
	file := filepath.Join(dir, "people.jsonl")
	if err := os.WriteFile(file, []byte(in.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	run("register", "--data", data, "--passphrase-file", pass, "--json", file)
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "records/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
