// Command qgraph is a self-hosted security asset graph for Qualys.
package main

import (
	"os"

	"github.com/qgraph/qgraph/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
