// Package cli wires qgraph's cobra commands. Commands are thin: they parse
// flags, call the packages that do the work, and print to the Factory's
// streams.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of the qgraph binary. Every command follows one convention:
// bad input (flags, arguments, a config file, an upload file, a J1QL query
// that does not parse or plan, a cursor of another query) exits ExitUsage;
// a failure to do the work with good input (the store, the network, a
// query that ran out of --timeout) exits ExitError; a sync or demo job that
// failed exits ExitJobFailed; sync, demo, query and questions run stopped
// by SIGINT or SIGTERM exit ExitInterrupted (130) with a message saying so.
// simulate, which serves until interrupted, exits ExitOK then.
const (
	// ExitOK is returned when the command did its work.
	ExitOK = 0
	// ExitError is returned when the work failed although the input was good.
	ExitError = 1
	// ExitUsage is returned for bad flags, arguments or input.
	ExitUsage = 2
	// ExitJobFailed is returned by sync and demo when a job failed.
	ExitJobFailed = 3
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExitCode wraps err so that Main exits with code.
func withExitCode(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs the qgraph command line with args and returns the exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := NewFactory(SystemIO())
	cmd := NewRootCmd(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(f.IO.ErrOut, "qgraph:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}

// NewRootCmd builds the qgraph command tree over f.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "qgraph",
		Short:         "A self-hosted security asset graph for Qualys",
		Long:          "qgraph pulls Qualys data into a graph of entities and relationships, answers J1QL questions about it, and alerts on findings and changes.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.PersistentFlags().StringVar(&f.DSN, "db", f.DSN, "store DSN: a file path or sqlite://PATH (embedded), or postgres://… (env QGRAPH_DB)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withExitCode(ExitUsage, fmt.Errorf("%w (see %s --help)", err, c.CommandPath()))
	})
	root.AddCommand(
		newVersionCmd(f),
		newUploadCmd(f),
		newSyncCmd(f, nil),
		newJobsCmd(f),
		newInstancesCmd(f),
		newDemoCmd(f, nil),
		newSimulateCmd(f),
		newQueryCmd(f),
		newQuestionsCmd(f),
	)
	return root
}
