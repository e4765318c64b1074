package cli

import (
	"errors"
	"fmt"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
)

func cmdInit(env *Env, args []string) int {
	fs := flags(env, "init")
	data := fs.String("data", device.DefaultDir(), "data directory")
	standalone := fs.Bool("standalone", false, "this device holds its own country authority (a single post, or trying the app)")
	country := fs.String("country", "", "ISO 3166-1 alpha-3 country code, e.g. BIH")
	station := fs.String("station", "", "station or crossing point code")
	name := fs.String("device-name", "", "device name (default: host name)")
	officer := fs.String("officer", "", "first officer's name; they become the device's supervisor")
	passFile := fs.String("passphrase-file", "", "file holding the first officer's passphrase (asked when absent)")
	enrolment := fs.String("enrolment", "", "join a hub with this enrolment file (from 'reghub enrol')")
	code := fs.String("code", "", "the enrolment code printed with the file (asked when absent)")
	recoveryOut := fs.String("recovery-key-out", "", "write the authority's recovery key to this new file (mode 0600) instead of printing it")
	force := fs.Bool("force", false, "with --recovery-key-out: replace an existing file")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if *enrolment != "" {
		return initEnrolled(env, *data, *enrolment, *code, *officer, *passFile)
	}
	if !*standalone {
		fmt.Fprintln(env.Stderr, "fieldreg init: use --standalone, or --enrolment FILE --code CODE to join a hub")
		return 2
	}
	if *country == "" || *station == "" || *officer == "" || fs.NArg() != 0 {
		fmt.Fprintln(env.Stderr, "fieldreg init: --country, --station and --officer are required")
		fs.Usage()
		return 2
	}
	if *recoveryOut != "" {
		if err := outputAbsent(*recoveryOut, *force); err != nil {
			return fail(env, err)
		}
	}
	pass, err := readPassphrase(env, *passFile, "Passphrase for "+*officer+": ")
	if err != nil {
		return fail(env, err)
	}
	defer wipe(pass)
	d, recovery, err := device.InitStandalone(*data, device.StandaloneConfig{Country: *country, Station: *station, DeviceName: *name, Officer: *officer, Passphrase: pass}, env.Opts)
	if errors.Is(err, device.ErrInitialised) {
		return fail(env, fmt.Errorf("%s: %w", *data, err))
	}
	if err != nil {
		return fail(env, err)
	}
	defer d.Close()
	info := d.Info()
	fmt.Fprintf(env.Stdout, "device %s set up for %s, station %s, in %s\n", info.DeviceID, info.Country, info.Station, *data)
	if *recoveryOut != "" {
		if err := writeOutput(*recoveryOut, *force, []byte(recovery+"\n")); err != nil {
			return fail(env, fmt.Errorf("device created, but the recovery key could not be written: %w; run 'fieldreg init' again in an empty directory", err))
		}
		fmt.Fprintf(env.Stdout, "recovery key written to %s: store it offline, away from this device\n", *recoveryOut)
		return 0
	}
	fmt.Fprintln(env.Stdout, "Recovery key (store it offline, away from this device; it can unlock this device if every passphrase is lost):")
	fmt.Fprintln(env.Stdout, recovery)
	return 0
}

func cmdRecover(env *Env, args []string) int {
	fs := flags(env, "recover")
	data := fs.String("data", device.DefaultDir(), "data directory")
	keyFile := fs.String("recovery-key", "", "file holding the authority's recovery key")
	officer := fs.String("officer", "", "officer whose passphrase is reset (created as a supervisor if absent)")
	passFile := fs.String("passphrase-file", "", "file holding the new passphrase (asked when absent)")
	if rc, stop := parseFlags(fs, args); stop {
		return rc
	}
	if *keyFile == "" || *officer == "" {
		fmt.Fprintln(env.Stderr, "fieldreg recover: --recovery-key and --officer are required")
		return 2
	}
	key, err := safefile.ReadFile(*keyFile, "the recovery key file", vault.MaxRecoveryKeyFile)
	if err != nil {
		return fail(env, err)
	}
	defer wipe(key)
	pass, err := readPassphrase(env, *passFile, "New passphrase for "+*officer+": ")
	if err != nil {
		return fail(env, err)
	}
	defer wipe(pass)
	d, err := device.Open(*data, env.Opts)
	if err != nil {
		return fail(env, err)
	}
	defer d.Close()
	if err := d.Recover(string(key), *officer, pass); err != nil {
		return fail(env, err)
	}
	fmt.Fprintf(env.Stdout, "passphrase of %s reset with the recovery key\n", *officer)
	return 0
}
