// Command qgraph is a self-hosted security asset graph for Qualys.
//
// Setting QGRAPH_CPUPROFILE to a file name writes a CPU profile of the
// whole command there, and QGRAPH_HEAPPROFILE a heap profile taken when
// the live heap was largest (both for the benchmarks under bench/).
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/qgraph/qgraph/internal/cli"
)

func main() {
	os.Exit(run())
}

// run runs the command with the profiles the environment asks for.
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
	if path := os.Getenv("QGRAPH_HEAPPROFILE"); path != "" {
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			watchHeap(path, stop)
		}()
		defer func() { close(stop); <-done }()
	}
	return cli.Main(os.Args[1:])
}

// watchHeap writes a heap profile to path each time, checked every
// second after a garbage collection, the live heap is larger than at any
// earlier check, until stop is closed.
func watchHeap(path string, stop <-chan struct{}) {
	var largest uint64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc <= largest {
			continue
		}
		largest = ms.HeapAlloc
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "qgraph: create heap profile: %v\n", err)
			return
		}
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "qgraph: write heap profile: %v\n", err)
		}
		f.Close()
	}
}
