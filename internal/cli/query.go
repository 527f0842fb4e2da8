package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/backend"
)

// QueryOptions are the inputs of qgraph query.
type QueryOptions struct {
	Factory        *Factory
	Query          string
	Format         string
	Limit          int
	Cursor         string
	Explain        bool
	IncludeDeleted bool
	// Vars are name=value pairs for ${name} parameters and {{name}}
	// placeholders.
	Vars []string
	// Now is the time date.now stands for; zero means time.Now.
	Now time.Time
	// Timeout bounds the run of the query; longer runs are cancelled.
	Timeout time.Duration
}

// DefaultQueryTimeout is how long qgraph query and qgraph questions run let
// one query run unless --timeout says otherwise.
const DefaultQueryTimeout = 60 * time.Second

func newQueryCmd(f *Factory) *cobra.Command { return newQueryCmdWith(f, nil) }

func newQueryCmdWith(f *Factory, runF func(*QueryOptions) error) *cobra.Command {
	opts := &QueryOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "query [--format table|json|csv] [--limit N] [--cursor C] [--timeout D] [--explain] 'J1QL'",
		Short: "Run a J1QL query against the graph",
		Long: "Runs one J1QL query and prints one page of its answer (250 rows unless --limit says otherwise); a query that\n" +
			"runs longer than --timeout (60s) is cancelled. Table output prints dates (properties named …On, …At, …Date)\n" +
			"as RFC 3339 UTC times; JSON and CSV keep their epoch milliseconds.\n" +
			"With --format json the output is {\"type\": \"list\"|\"table\"|\"tree\", \"data\": [...], \"totalCount\": N, \"cursor\": \"…\"};\n" +
			"pass the cursor back with --cursor for the next page. --explain prints the plan and SQL without running it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Query = args[0]
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
			return queryRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table, json or csv")
	cmd.Flags().IntVar(&opts.Limit, "limit", j1ql.DefaultLimit, fmt.Sprintf("rows per page, 1 to %d (page on with --cursor)", j1ql.MaxLimit))
	cmd.Flags().StringVar(&opts.Cursor, "cursor", "", "continue from the cursor of a previous page")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "parse and plan the query, print the plan and SQL, do not run it")
	cmd.Flags().BoolVar(&opts.IncludeDeleted, "include-deleted", false, "also match soft-deleted entities and relationships")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", DefaultQueryTimeout, "cancel the query when it runs longer than this")
	cmd.Flags().StringArrayVar(&opts.Vars, "var", nil, "name=value for ${name} parameters and {{name}} placeholders (repeatable; numbers and true/false are typed)")
	return cmd
}

// checkLimit accepts a --limit of 1 to j1ql.MaxLimit rows per page. There is
// no "all rows": answers larger than a page are read page by page with
// --cursor.
func checkLimit(limit int) error {
	if limit < 1 || limit > j1ql.MaxLimit {
		return withExitCode(ExitUsage, fmt.Errorf("--limit %d: use a positive number of rows per page, 1 to %d (default %d), and --cursor for the next pages",
			limit, j1ql.MaxLimit, j1ql.DefaultLimit))
	}
	return nil
}

// checkTimeout accepts a positive --timeout.
func checkTimeout(d time.Duration) error {
	if d <= 0 {
		return withExitCode(ExitUsage, fmt.Errorf("--timeout %v: use a positive duration, such as 30s or 5m", d))
	}
	return nil
}

// checkQueryFormat accepts the output formats of query results.
func checkQueryFormat(format string) error {
	switch format {
	case "table", "json", "csv":
		return nil
	}
	return withExitCode(ExitUsage, fmt.Errorf("unknown --format %q: use table, json or csv", format))
}

// dialectOf returns the SQL dialect of the store a DSN names, without
// opening it.
func dialectOf(dsn string) (store.Dialect, error) {
	t, err := backend.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	if t.Kind == backend.Postgres {
		return store.Postgres, nil
	}
	return store.SQLite, nil
}

// parseVars splits name=value pairs; values that look like numbers or
// booleans are typed, the rest are strings.
func parseVars(pairs []string) (map[string]any, map[string]string, error) {
	typed, text := map[string]any{}, map[string]string{}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, nil, withExitCode(ExitUsage, fmt.Errorf("--var %q: expected name=value", p))
		}
		name = strings.TrimSpace(name)
		text[name] = value
		switch {
		case value == "true" || value == "false":
			typed[name] = value == "true"
		default:
			if n, err := strconv.ParseInt(value, 10, 64); err == nil {
				typed[name] = n
			} else if f, err := strconv.ParseFloat(value, 64); err == nil {
				typed[name] = f
			} else {
				typed[name] = value
			}
		}
	}
	return typed, text, nil
}

func queryRun(ctx context.Context, opts *QueryOptions) error {
	out := opts.Factory.IO.Out
	vars, texts, err := parseVars(opts.Vars)
	if err != nil {
		return err
	}
	if len(j1ql.Placeholders(opts.Query)) > 0 {
		if opts.Query, err = j1ql.SubstitutePlaceholders(opts.Query, texts); err != nil {
			return withExitCode(ExitUsage, fmt.Errorf("%w (give it with --var)", err))
		}
	}
	jopts := j1ql.Options{Limit: opts.Limit, Cursor: opts.Cursor, IncludeDeleted: opts.IncludeDeleted, Now: opts.Now, Variables: vars}
	if opts.Explain {
		d, err := dialectOf(opts.Factory.DSN)
		if err != nil {
			return err
		}
		plan, err := j1ql.Explain(opts.Query, d, jopts)
		if err != nil {
			return queryError(opts.Query, err)
		}
		_, err = io.WriteString(out, plan)
		return err
	}
	if _, err := j1ql.Parse(opts.Query); err != nil {
		return queryError(opts.Query, err)
	}
	st, err := opts.Factory.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := executeQuery(ctx, st, opts.Query, jopts, opts.Timeout)
	if err != nil {
		return err
	}
	return writeResult(out, opts.Format, res, opts.Factory.IO.ErrOut)
}

// executeQuery runs one query with a deadline of timeout (none when zero).
// The context reaches the store's driver, so a cancelled query stops in the
// database too. A query that runs out of time fails with an error naming
// the timeout, an interrupted one with ExitInterrupted; J1QL errors come
// back as from queryError.
func executeQuery(ctx context.Context, st store.Store, src string, jopts j1ql.Options, timeout time.Duration) (*j1ql.Result, error) {
	qctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := j1ql.Execute(qctx, st, src, jopts)
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return nil, withExitCode(ExitInterrupted, errors.New("query interrupted"))
	case errors.Is(qctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("query cancelled: it ran longer than the timeout of %v (narrow it with WITH filters or a LIMIT, or allow more time with --timeout)", timeout)
	}
	return nil, queryError(src, err)
}

// queryError turns J1QL errors into one error listing every problem. A
// problem of the query itself (syntax, unknown alias, a bad cursor) exits
// with ExitUsage, like any bad input; a failure to run it with ExitError.
func queryError(src string, err error) error {
	var (
		one  *j1ql.Error
		list j1ql.ErrorList
	)
	input := errors.As(err, &one) || errors.As(err, &list) || errors.Is(err, j1ql.ErrBadCursor)
	if errors.As(err, &list) && len(list) > 1 {
		msgs := make([]string, len(list))
		for i, e := range list {
			msgs[i] = e.Error()
		}
		err = fmt.Errorf("invalid query:\n  %s", strings.Join(msgs, "\n  "))
	} else {
		err = fmt.Errorf("query: %w", err)
	}
	if input {
		return withExitCode(ExitUsage, err)
	}
	return err
}

// writeResult prints res in format; for tables a footer on errOut says
// how many rows there are and how to get the next page.
func writeResult(w io.Writer, format string, res *j1ql.Result, errOut io.Writer) error {
	switch format {
	case "json":
		return j1ql.WriteJSON(w, res)
	case "csv":
		return j1ql.WriteCSV(w, res)
	}
	if err := j1ql.WriteTable(w, res); err != nil {
		return err
	}
	if errOut != nil {
		fmt.Fprintf(errOut, "(%s, %d in total", res.Type, res.TotalCount)
		if res.Cursor != "" {
			fmt.Fprintf(errOut, "; next page: --cursor %s", res.Cursor)
		}
		fmt.Fprintln(errOut, ")")
	}
	return nil
}
