// Command qgraph is a self-hosted security asset graph for Qualys.
//
// Setting QGRAPH_CPUPROFILE to a file name writes a CPU profile of the
// whole command there (for the benchmarks under bench/).
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/qgraph/qgraph/internal/cli"
)

func main() {
	os.Exit(run())
}

// run runs the command, with a CPU profile when QGRAPH_CPUPROFILE asks.
func run() int {
	if path := os.Getenv("QGRAPH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "qgraph: create CPU profile: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "qgraph: start CPU profile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	return cli.Main(os.Args[1:])
}
