package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/store"
)

// InstancesOptions are the inputs of qgraph instances list.
type InstancesOptions struct {
	Factory    *Factory
	ConfigPath string
	Format     string
}

func newInstancesCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "instances",
		Short: "List the configured integration instances and their state",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newInstancesListCmd(f, nil))
	return cmd
}

func newInstancesListCmd(f *Factory, runF func(*InstancesOptions) error) *cobra.Command {
	opts := &InstancesOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list --config FILE [--format table|json]",
		Short: "List instances with their settings (secrets masked), last job and high-water marks",
		Long: `List the instances of the config file with their settings, last job and high-water marks.
The password is never shown: it prints as ******** when its variable or file could be read, and
otherwise as where it comes from, such as (from ${QUALYS_PASSWORD}); listing needs neither.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.ConfigPath == "" {
				return withExitCode(ExitUsage, errors.New("--config is required"))
			}
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return instancesListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "configuration file (YAML)")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

// instanceRow is one row of instances list --format json.
type instanceRow struct {
	Name               string               `json:"name"`
	Description        string               `json:"description,omitempty"`
	APIURL             string               `json:"apiUrl"`
	Username           string               `json:"username"`
	UsernameFrom       string               `json:"usernameFrom,omitempty"`
	Password           string               `json:"password"`
	PasswordFrom       string               `json:"passwordFrom,omitempty"`
	PollingInterval    string               `json:"pollingInterval"`
	IngestWebAppScans  bool                 `json:"ingestWebAppScans"`
	TagWithAccountName bool                 `json:"tagWithAccountName"`
	LastJobID          string               `json:"lastJobId,omitempty"`
	LastJobStatus      string               `json:"lastJobStatus,omitempty"`
	LastJobAt          *time.Time           `json:"lastJobAt,omitempty"`
	HighWaterMarks     map[string]time.Time `json:"highWaterMarks"`
}

// shownOrFrom returns value, or "(from SOURCE)" when the value was not
// read (an unset variable, a password file).
func shownOrFrom(value, from string) string {
	if value == "" && from != "" {
		return "(from " + from + ")"
	}
	return value
}

func instancesListRun(ctx context.Context, opts *InstancesOptions) error {
	f := opts.Factory
	// Listing sends no request, so the credentials' variables and
	// password file need not be set: they show as where they come from.
	cfg, err := config.LoadForListing(opts.ConfigPath, f.Getenv)
	if err != nil {
		return withExitCode(ExitUsage, err)
	}
	st, err := f.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows := make([]instanceRow, 0, len(cfg.Instances))
	for _, raw := range cfg.Instances {
		in := raw.Redacted()
		row := instanceRow{Name: in.Name, Description: in.Description, APIURL: in.Qualys.APIURL,
			Username: shownOrFrom(in.Qualys.Username, in.Qualys.UsernameFrom), UsernameFrom: in.Qualys.UsernameFrom,
			Password: shownOrFrom(in.Qualys.Password, in.Qualys.PasswordFrom), PasswordFrom: in.Qualys.PasswordFrom,
			PollingInterval: string(in.PollingInterval), IngestWebAppScans: in.Qualys.IngestWebAppScans,
			TagWithAccountName: in.TagWithAccountName}
		state, err := integration.LoadState(ctx, st, store.InstanceScope(in.Name))
		if err != nil {
			return err
		}
		row.HighWaterMarks = state.HighWaterMarks
		if state.LastJobID != "" {
			at := state.LastJobAt
			row.LastJobID, row.LastJobStatus, row.LastJobAt = state.LastJobID, string(state.LastJobStatus), &at
		}
		rows = append(rows, row)
	}
	if opts.Format == "json" {
		return writeJSON(f.IO.Out, rows)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tAPI URL\tUSER\tPOLLING\tWAS\tLAST JOB\tSTATUS\tDETECTIONS READ UNTIL")
	for _, r := range rows {
		until := "-"
		if t, ok := r.HighWaterMarks["detections"]; ok {
			until = t.Format(time.RFC3339)
		}
		last := r.LastJobID
		if last == "" {
			last = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\t%s\t%s\n", r.Name, r.APIURL, r.Username, r.PollingInterval, r.IngestWebAppScans, last, r.LastJobStatus, until)
	}
	return tw.Flush()
}
