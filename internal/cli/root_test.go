package cli

import (
	"strings"
	"testing"
)

// TestUsageErrorsExitUsage checks that every kind of usage error (a
// missing or extra argument, an unknown command or help topic, an unknown
// flag) exits ExitUsage with a message naming the command, what is wrong
// and where the help is; and that a command group called alone prints its
// help.
func TestUsageErrorsExitUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string // parts of stderr, in order
	}{
		{"query without J1QL", []string{"query"}, []string{"query: missing argument 'J1QL'", "usage: qgraph query", "see qgraph query --help"}},
		{"query with an extra argument", []string{"query", "FIND Host", "extra"}, []string{"query: unexpected argument \"extra\": it takes 1 argument, so quote J1QL as one", "see qgraph query --help"}},
		{"unquoted query", []string{"query", "FIND", "Host"}, []string{"query: unexpected argument \"Host\"", "quote J1QL as one"}},
		{"jobs show without ID", []string{"jobs", "show"}, []string{"jobs show: missing argument ID", "see qgraph jobs show --help"}},
		{"jobs show with two IDs", []string{"jobs", "show", "a", "b"}, []string{"jobs show: unexpected argument \"b\": it takes 1 argument", "see qgraph jobs show --help"}},
		{"questions run without ID", []string{"questions", "run"}, []string{"questions run: missing argument ID", "see qgraph questions run --help"}},
		{"upload without file", []string{"upload"}, []string{"upload: missing argument FILE", "see qgraph upload --help"}},
		{"version with an argument", []string{"version", "extra"}, []string{"version: unexpected argument \"extra\": it takes none", "see qgraph version --help"}},
		{"sync with an argument", []string{"sync", "x.yaml"}, []string{"sync: unexpected argument \"x.yaml\": it takes none", "see qgraph sync --help"}},
		{"unknown command", []string{"bogus"}, []string{"unknown command \"bogus\"", "commands: ", "jobs", "see qgraph --help"}},
		{"misspelt command", []string{"jobz"}, []string{"unknown command \"jobz\"", "did you mean jobs?", "see qgraph --help"}},
		{"unknown subcommand", []string{"jobs", "bogus"}, []string{"jobs: unknown command \"bogus\"", "commands: list, show", "see qgraph jobs --help"}},
		{"unknown instances subcommand", []string{"instances", "lst"}, []string{"instances: unknown command \"lst\"", "did you mean list?", "see qgraph instances --help"}},
		{"unknown help topic", []string{"help", "bogus"}, []string{"no help topic \"bogus\"", "see qgraph --help"}},
		{"unknown flag", []string{"query", "--bogus", "FIND Host"}, []string{"query: unknown flag: --bogus", "see qgraph query --help"}},
		{"flag without value", []string{"jobs", "show", "--format"}, []string{"jobs show: flag needs an argument", "see qgraph jobs show --help"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, ExitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			rest := errOut
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stderr %q lacks %q (in this order: %q)", errOut, w, tc.want)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// TestGroupsAndHelpExitOK checks that a command group called alone, help
// and --help print the help and exit ExitOK, without a usage line that
// offers the group itself as a command.
func TestGroupsAndHelpExitOK(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"root alone", nil, "qgraph [command]"},
		{"jobs alone", []string{"jobs"}, "qgraph jobs [command]"},
		{"help jobs show", []string{"help", "jobs", "show"}, "qgraph jobs show ID"},
		{"jobs --help", []string{"jobs", "--help"}, "qgraph jobs [command]"},
		{"query --help", []string{"query", "--help"}, "qgraph query [--format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, tc.args...)
			if code != ExitOK || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d and %q", code, out, errOut, ExitOK, tc.want)
			}
			if strings.Contains(out, "qgraph jobs [flags]") || strings.Contains(out, "qgraph [flags]") {
				t.Errorf("usage offers a group as a command:\n%s", out)
			}
		})
	}
}
