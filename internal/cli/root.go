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
	"regexp"
	"strings"
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
		return usageError(c, err)
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
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultCompletionCmd()
	checkArgs(root)
	// A command group runs (to print its help, see checkArgs), but its
	// usage shows only "qgraph GROUP [command]", as before.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"Usage:{{if .Runnable}}", "Usage:{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	return root
}

// usageError wraps err, a problem with how cmd was called, so that it
// names the command, points to its help and exits ExitUsage. hints are
// put before the pointer to the help, such as the command's usage line.
func usageError(cmd *cobra.Command, err error, hints ...string) error {
	name := ""
	if cmd.HasParent() {
		name = strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ") + ": "
	}
	hints = append(hints, "see "+cmd.CommandPath()+" --help")
	return withExitCode(ExitUsage, fmt.Errorf("%s%w (%s)", name, err, strings.Join(hints, "; ")))
}

// checkArgs makes every command of the tree under cmd refuse bad
// positional arguments with a usage error (see usageError): a command
// group (a command that only holds subcommands) refuses an unknown
// subcommand and prints its help when called alone; any other command
// keeps its argument rule and explains what is missing or extra.
func checkArgs(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		checkArgs(sub)
	}
	if cmd.HasSubCommands() && !cmd.Runnable() {
		// Cobra skips the argument check of a command that cannot run, so
		// the group runs, to print its help.
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		cmd.Args = unknownCommand
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		return
	}
	validate := cmd.Args
	if validate == nil {
		validate = cobra.ArbitraryArgs
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := validate(c, args); err != nil {
			return usageError(c, describeArgs(c, validate, args, err), "usage: "+c.UseLine())
		}
		return nil
	}
}

// unknownCommand refuses any argument of a command group: the first one
// names no subcommand of it.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	var hints []string
	if like := cmd.SuggestionsFor(args[0]); len(like) > 0 {
		hints = append(hints, "did you mean "+strings.Join(like, " or ")+"?")
	}
	hints = append(hints, "commands: "+strings.Join(names, ", "))
	return usageError(cmd, fmt.Errorf("unknown command %q", args[0]), hints...)
}

// maxProbedArgs bounds the argument counts describeArgs tries.
const maxProbedArgs = 8

// describeArgs explains why validate refused args: a missing argument
// (named from the command's Use line) or an extra one. It finds how many
// arguments cmd takes by trying validate on placeholder lists; a rule it
// cannot read that way keeps cobra's message err.
func describeArgs(cmd *cobra.Command, validate cobra.PositionalArgs, args []string, err error) error {
	want := -1
	for n := 0; n <= maxProbedArgs; n++ {
		if validate(cmd, make([]string, n)) == nil {
			want = n
			break
		}
	}
	names := argNames(cmd.Use)
	switch {
	case want < 0:
		return err
	case len(args) < want:
		if len(args) < len(names) {
			return fmt.Errorf("missing argument %s", names[len(args)])
		}
		return fmt.Errorf("missing an argument: it takes %d, got %d", want, len(args))
	case want == 0:
		return fmt.Errorf("unexpected argument %q: it takes none", args[0])
	}
	takes := fmt.Sprintf("%d arguments", want)
	if want == 1 {
		takes = "1 argument"
	}
	if want <= len(names) && strings.HasPrefix(names[want-1], "'") {
		takes += ", so quote " + strings.Trim(names[want-1], "'") + " as one"
	}
	return fmt.Errorf("unexpected argument %q: it takes %s", args[min(want, len(args)-1)], takes)
}

// optionalPart matches a bracketed, optional part of a Use line.
var optionalPart = regexp.MustCompile(`\[[^\]]*\]`)

// argNames returns the names of the positional arguments in a Use line
// such as "show ID [--format table|json]" or "query [--explain] 'J1QL'":
// the words after the command name that are neither optional, nor flags,
// nor a flag's value. A name keeps its quotes ('J1QL': one quoted
// argument).
func argNames(use string) []string {
	words := strings.Fields(optionalPart.ReplaceAllString(use, " "))
	var names []string
	for i := 1; i < len(words); i++ {
		if strings.HasPrefix(words[i], "-") {
			if !strings.Contains(words[i], "=") {
				i++ // the flag's value
			}
			continue
		}
		names = append(names, words[i])
	}
	return names
}

// newHelpCmd returns the help command of root: help for a command path,
// and a usage error for a path that names no command.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(cmd *cobra.Command, args []string) error {
			target := root
			for i, name := range args {
				next := subcommand(target, name)
				if next == nil {
					return usageError(target, fmt.Errorf("no help topic %q", strings.Join(args[:i+1], " ")))
				}
				target = next
			}
			return target.Help()
		},
	}
}

// subcommand returns the available subcommand of cmd called name (or
// aliased so), or nil.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() && (sub.Name() == name || sub.HasAlias(name)) {
			return sub
		}
	}
	return nil
}
