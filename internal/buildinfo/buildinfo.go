// Package buildinfo reports the version of the running qgraph binary.
package buildinfo

import "runtime/debug"

// version is set at link time with -ldflags "-X github.com/qgraph/qgraph/internal/buildinfo.version=v1.2.3".
var version = ""

// Version returns the qgraph version: the link-time version when set, else
// the module version from the build info, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// UserAgent returns the User-Agent qgraph sends to remote APIs.
func UserAgent() string { return "qgraph/" + Version() }
