package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/store"
)

// JobsOptions are the inputs of qgraph jobs list and show.
type JobsOptions struct {
	Factory  *Factory
	Instance string
	Limit    int
	Format   string
	JobID    string
}

func newJobsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List past sync jobs and show their reports",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newJobsListCmd(f, nil), newJobsShowCmd(f, nil))
	return cmd
}

func newJobsListCmd(f *Factory, runF func(*JobsOptions) error) *cobra.Command {
	opts := &JobsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list [--instance NAME] [--limit N] [--format table|json]",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return jobsListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Instance, "instance", "", "only jobs of this instance")
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "at most this many jobs (0: all)")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func newJobsShowCmd(f *Factory, runF func(*JobsOptions) error) *cobra.Command {
	opts := &JobsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "show ID [--format table|json]",
		Short: "Show a job's report",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			opts.JobID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return jobsShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func checkFormat(format string) error {
	if format != "table" && format != "json" {
		return withExitCode(ExitUsage, fmt.Errorf("unknown --format %q (use table or json)", format))
	}
	return nil
}

// jobSummary is one row of jobs list --format json.
type jobSummary struct {
	ID             string    `json:"id"`
	Instance       string    `json:"instance"`
	Status         string    `json:"status"`
	Full           bool      `json:"full"`
	StartedAt      time.Time `json:"startedAt"`
	FinishedAt     time.Time `json:"finishedAt"`
	DurationMillis int64     `json:"durationMillis"`
	FailedSteps    []string  `json:"failedSteps"`
}

func jobsListRun(ctx context.Context, opts *JobsOptions) error {
	f := opts.Factory
	st, err := f.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	filter := store.JobFilter{Limit: opts.Limit}
	if opts.Instance != "" {
		filter.Scope = store.InstanceScope(opts.Instance)
	}
	jobs, err := st.ListJobs(ctx, filter)
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	rows := make([]jobSummary, 0, len(jobs))
	for i := range jobs {
		rep, err := integration.ReadReport(&jobs[i])
		if err != nil {
			return err
		}
		row := jobSummary{ID: rep.JobID, Instance: strings.TrimPrefix(jobs[i].Scope, "instance:"), Status: jobs[i].Status, Full: rep.Full,
			StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, DurationMillis: rep.DurationMillis, FailedSteps: []string{}}
		for _, s := range rep.Steps {
			if s.Status == integration.StatusFailed {
				row.FailedSteps = append(row.FailedSteps, s.ID)
			}
		}
		rows = append(rows, row)
	}
	if opts.Format == "json" {
		return writeJSON(f.IO.Out, rows)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tINSTANCE\tSTATUS\tMODE\tSTARTED\tDURATION\tFAILED STEPS")
	for _, r := range rows {
		mode := "incremental"
		if r.Full {
			mode = "full"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Instance, r.Status, mode, r.StartedAt.Format(time.RFC3339),
			(time.Duration(r.DurationMillis) * time.Millisecond).String(), strings.Join(r.FailedSteps, ","))
	}
	return tw.Flush()
}

func jobsShowRun(ctx context.Context, opts *JobsOptions) error {
	f := opts.Factory
	st, err := f.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	j, err := st.GetJob(ctx, opts.JobID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no job %q (see qgraph jobs list)", opts.JobID)
	}
	if err != nil {
		return fmt.Errorf("read job %s: %w", opts.JobID, err)
	}
	rep, err := integration.ReadReport(j)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return writeJSON(f.IO.Out, rep)
	}
	writeReport(f.IO.Out, rep, true)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeReport prints a job report: the job line, a table of steps, the
// objects by type, and the notes (failed pages, missing QIDs). The types
// the job kept instead of replacing are listed when verbose or when the job
// did not succeed; on a successful incremental run they are the expected
// upsert-only types and only add noise.
func writeReport(w io.Writer, rep *integration.Report, verbose bool) {
	mode := "incremental"
	if rep.Full {
		mode = "full"
	}
	fmt.Fprintf(w, "\nJob %s  instance %s  %s  status %s  %s\n", rep.JobID, rep.Instance, mode, rep.Status,
		(time.Duration(rep.DurationMillis) * time.Millisecond).Round(time.Millisecond))
	if rep.CommitMillis > 0 || rep.AfterCommitMillis > 0 {
		fmt.Fprintf(w, "  store commit %s, mapper %s\n", (time.Duration(rep.CommitMillis) * time.Millisecond).String(),
			(time.Duration(rep.AfterCommitMillis) * time.Millisecond).String())
	}
	if rep.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", rep.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STEP\tSTATUS\tDURATION\tCREATED\tUPDATED\tDELETED\tPAGES RETRIED\tPAGES FAILED")
	for _, s := range rep.Steps {
		var c store.TypeCounts
		for _, tc := range s.Objects {
			c.Created += tc.Created
			c.Updated += tc.Updated
			c.Deleted += tc.Deleted
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", s.ID, s.Status, (time.Duration(s.DurationMillis) * time.Millisecond).String(),
			c.Created, c.Updated, c.Deleted, s.PagesRetried, s.PagesFailed)
	}
	_ = tw.Flush()

	if rep.Sync != nil {
		fmt.Fprintln(w, "\n  Objects by type:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  KIND\tTYPE\tCREATED\tUPDATED\tUNCHANGED\tDELETED")
		for _, kind := range []struct {
			name string
			m    map[string]store.TypeCounts
		}{{"entity", rep.Sync.Entities}, {"relationship", rep.Sync.Relationships}, {"mapping", rep.Sync.Mappings}} {
			types := make([]string, 0, len(kind.m))
			for t := range kind.m {
				types = append(types, t)
			}
			sort.Strings(types)
			for _, t := range types {
				c := kind.m[t]
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\n", kind.name, t, c.Created, c.Updated, c.Unchanged, c.Deleted)
			}
		}
		_ = tw.Flush()
		if rep.Sync.DanglingCount > 0 {
			fmt.Fprintf(w, "  %d relationship(s) not stored: an endpoint does not exist\n", rep.Sync.DanglingCount)
		}
	}
	for _, s := range rep.Steps {
		if s.Error != "" {
			fmt.Fprintf(w, "  %s: %s\n", s.ID, s.Error)
		}
		for _, r := range s.PartialReasons {
			fmt.Fprintf(w, "  %s: partial: %s\n", s.ID, r)
		}
		if qids := s.Lists["qidsMissingFromKnowledgeBase"]; len(qids) > 0 {
			fmt.Fprintf(w, "  %s: %d QID(s) not returned by the KnowledgeBase: %s\n", s.ID, len(qids), strings.Join(qids, ", "))
		}
	}
	if len(rep.PartialTypes) > 0 && (verbose || rep.Status != integration.StatusSuccess) {
		fmt.Fprintf(w, "  kept (partial) types: %s\n", strings.Join(rep.PartialTypes, ", "))
	}
}
