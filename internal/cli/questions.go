package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/questions"
)

// QuestionsOptions are the inputs of qgraph questions list and run.
type QuestionsOptions struct {
	Factory *Factory
	Format  string
	ID      string
	Limit   int
	// Timeout bounds the run of each query of the question.
	Timeout time.Duration
}

func newQuestionsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "questions",
		Short: "List and run the managed questions",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newQuestionsListCmd(f, nil), newQuestionsRunCmd(f, nil))
	return cmd
}

func newQuestionsListCmd(f *Factory, runF func(*QuestionsOptions) error) *cobra.Command {
	opts := &QuestionsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "list [--format table|json]",
		Short: "List the managed questions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Format != "table" && opts.Format != "json" {
				return withExitCode(ExitUsage, fmt.Errorf("unknown --format %q: use table or json", opts.Format))
			}
			if runF != nil {
				return runF(opts)
			}
			return questionsListRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func newQuestionsRunCmd(f *Factory, runF func(*QuestionsOptions) error) *cobra.Command {
	opts := &QuestionsOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "run ID [--format table|json|csv] [--limit N] [--timeout D]",
		Short: "Run every query of a managed question",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := checkQueryFormat(opts.Format); err != nil {
				return err
			}
			if err := checkLimit(opts.Limit); err != nil {
				return err
			}
			if err := checkTimeout(opts.Timeout); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return questionsRunRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table, json or csv")
	cmd.Flags().IntVar(&opts.Limit, "limit", j1ql.DefaultLimit, fmt.Sprintf("rows per query, 1 to %d", j1ql.MaxLimit))
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", DefaultQueryTimeout, "cancel a query of the question when it runs longer than this")
	return cmd
}

func questionsListRun(opts *QuestionsOptions) error {
	qs, err := questions.Load()
	if err != nil {
		return err
	}
	out := opts.Factory.IO.Out
	if opts.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(qs)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tTAGS")
	for _, q := range qs {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.ID, q.Title, strings.Join(q.Tags, ","))
	}
	return tw.Flush()
}

func questionsRunRun(ctx context.Context, opts *QuestionsOptions) error {
	q, err := questions.Find(opts.ID)
	if err != nil {
		return withExitCode(ExitUsage, err)
	}
	st, err := opts.Factory.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	out := opts.Factory.IO.Out
	type answer struct {
		Name   string       `json:"name"`
		Query  string       `json:"query"`
		Result *j1ql.Result `json:"result"`
	}
	var answers []answer
	for i, nq := range q.Queries {
		res, err := executeQuery(ctx, st, nq.Query, j1ql.Options{Limit: opts.Limit}, opts.Timeout)
		if err != nil {
			// A managed query the engine refuses is not the user's input
			// but a defect: it exits ExitError.
			var ee *exitError
			if errors.As(err, &ee) && ee.code == ExitUsage {
				err = ee.err
			}
			return fmt.Errorf("question %s, query %s: %w", q.ID, nq.Name, err)
		}
		switch opts.Format {
		case "json":
			answers = append(answers, answer{Name: nq.Name, Query: nq.Query, Result: res})
			continue
		case "table":
			if i == 0 {
				fmt.Fprintf(out, "%s\n\n", q.Title)
			}
			fmt.Fprintf(out, "== %s (%d)\n", nq.Name, res.TotalCount)
		}
		if err := writeResult(out, opts.Format, res, nil); err != nil {
			return err
		}
		if opts.Format == "table" && i < len(q.Queries)-1 {
			fmt.Fprintln(out)
		}
	}
	if opts.Format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"id": q.ID, "title": q.Title, "answers": answers})
	}
	return nil
}
