// Package packaging holds what ships beside the binaries (the hub's systemd
// unit and example settings) and the checks of `make package-check`: the
// signed SHA256SUMS verified with ssh-keygen, fieldreg.exe's headers,
// imports and resources, the Linux tarball installed into a temporary
// prefix and run, the hub's static binaries. See docs/install.md.
package packaging
