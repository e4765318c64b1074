package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

// initEnrolled is `fieldreg init --enrolment FILE --code CODE`.
func initEnrolled(env *Env, data, file, code, officer, passFile string) int {
	if officer == "" {
		fmt.Fprintln(env.Stderr, "fieldreg init: --officer is required")
		return 2
	}
	b, err := safefile.ReadFile(file, "the enrolment file", enrol.MaxFileSize)
	if err != nil {
		return fail(env, err)
	}
	if code == "" {
		c, err := readPassphrase(env, "", "Enrolment code: ")
		if err != nil {
			return fail(env, errors.New("no enrolment code: use --code CODE"))
		}
		code = strings.TrimSpace(string(c))
	}
	pass, err := readPassphrase(env, passFile, "Passphrase for "+officer+": ")
	if err != nil {
		return fail(env, err)
	}
	defer wipe(pass)
	d, err := device.InitEnrolled(data, device.EnrolledConfig{File: b, Code: code, Officer: officer, Passphrase: pass}, env.Opts)
	switch {
	case errors.Is(err, device.ErrInitialised):
		return fail(env, fmt.Errorf("%s: %w", data, err))
	case errors.Is(err, enrol.ErrWrongCode):
		return fail(env, err)
	case err != nil:
		return fail(env, err)
	}
	defer d.Close()
	info := d.Info()
	st, _ := d.SyncStatus()
	fmt.Fprintf(env.Stdout, "device %s (%s) joined %s, station %s, in %s; hub %s\n", info.DeviceID, info.Name, info.Country, info.Station, data, st.HubURL)
	return 0
}
