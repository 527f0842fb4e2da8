package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/integration/qualysint"
	"github.com/qgraph/qgraph/internal/j1ql"
	"github.com/qgraph/qgraph/internal/qualys/sim"
	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/backend"
	"github.com/qgraph/qgraph/questions"
)

// DemoDB is the store the demo writes when --db is not given.
const DemoDB = "./qgraph-demo.db"

// DemoOptions are the inputs of qgraph demo.
type DemoOptions struct {
	Factory *Factory
	// DSN is the store; DemoDB unless --db was given.
	DSN  string
	Seed int64
}

func newDemoCmd(f *Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Sync a simulated Qualys subscription and answer the managed questions",
		Long: "demo starts the built-in Qualys simulator on a loopback port with a demo dataset (a few hundred hosts of " +
			"all four kinds, web apps and WAS findings), configures an instance against it, runs a full sync into " +
			DemoDB + " (or --db) and prints the answers of the managed questions.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DSN = DemoDB
			if fl := cmd.Flag("db"); fl != nil && fl.Changed {
				opts.DSN = f.DSN
			}
			if runF != nil {
				return runF(opts)
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Int64Var(&opts.Seed, "seed", 0, "simulator seed (0: the demo dataset's own)")
	return cmd
}

func demoRun(ctx context.Context, opts *DemoOptions) error {
	f := opts.Factory
	simOpts := sim.DemoOptions()
	if opts.Seed != 0 {
		simOpts.Seed = opts.Seed
	}
	qs, err := sim.New(simOpts)
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start simulator: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: qs, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	so := qs.Options()
	fmt.Fprintf(f.IO.ErrOut, "Qualys simulator on http://%s (the demo instance calls it %s): %d hosts, %d detections per host, %d web apps\n",
		ln.Addr(), demoAPIURL, so.Hosts, so.DetectionsPerHost, so.WebApps)

	q := config.DefaultQualys()
	q.APIURL, q.Username, q.Password = demoAPIURL, so.Username, so.Password
	q.VMDRFindingSeverities = []int{1, 2, 3, 4, 5}
	q.VMDRFindingTypes = []string{"Info", "Potential", "Confirmed"}
	inst := config.Instance{Name: "demo", Description: "Simulated Qualys subscription", PollingInterval: config.Disabled, TagWithAccountName: true, Qualys: q}

	df := *f
	df.DSN = opts.DSN
	st, err := df.CreateStore(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return withExitCode(ExitInterrupted, errors.New("demo interrupted before its sync; nothing was stored"))
		}
		return err
	}
	defer st.Close()
	fmt.Fprintf(f.IO.ErrOut, "Full sync into %s\n", backend.Redact(opts.DSN))
	hc := demoHTTPClient(ln.Addr().String())
	defer hc.CloseIdleConnections()
	rep, err := syncInstance(ctx, &df, st, inst, true, func(o *qualysint.SyncOptions) {
		o.Now, o.HTTPClient = qs.Now, hc
	})
	if ctx.Err() != nil && (err != nil || rep == nil || rep.Status == integration.StatusCancelled) {
		// Interrupted: the job aborted its store sync.
		return withExitCode(ExitInterrupted, errors.New("demo interrupted; nothing of this sync was stored"))
	}
	if rep != nil {
		writeReport(f.IO.Out, rep, false)
	}
	if err != nil {
		return withExitCode(ExitJobFailed, fmt.Errorf("demo sync: %w", err))
	}
	interruptedAfterSync := func() error {
		return withExitCode(ExitInterrupted, fmt.Errorf("demo interrupted; the synced graph is in %s", backend.Redact(opts.DSN)))
	}
	if err := writeGraphSummary(ctx, f.IO.Out, st); err != nil {
		if ctx.Err() != nil {
			return interruptedAfterSync()
		}
		return err
	}
	if err := runManagedQuestions(ctx, f.IO.Out, st); err != nil {
		if ctx.Err() != nil {
			return interruptedAfterSync()
		}
		return err
	}
	if rep.Failed() {
		return withExitCode(ExitJobFailed, errors.New("the demo sync had failed steps"))
	}
	fmt.Fprintf(f.IO.Out, "\nThe graph is in %s; %s\n", backend.Redact(opts.DSN), queryHint(opts.DSN))
	return nil
}

// queryHint returns the demo's closing hint: a query command over the
// store at dsn that works as printed, yet shows no secret. A PostgreSQL
// password (in the URL's user part or its password parameter) is left out
// of the command, which then says where libpq-style clients read it from.
func queryHint(dsn string) string {
	const query = "query 'FIND Host THAT HAS qualys_host_finding WITH open=true'"
	plain, removed := withoutPassword(dsn)
	cmd := "qgraph --db " + shellQuote(plain) + " " + query
	if removed {
		return "query it with: " + cmd + " (with the password in PGPASSWORD or ~/.pgpass)"
	}
	return "query it with: " + cmd
}

// withoutPassword returns a PostgreSQL URL without its password, and
// whether it had one; any other DSN is returned as it is.
func withoutPassword(dsn string) (string, bool) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn, false
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return backend.Redact(dsn), false // not reached: the store opened it
	}
	removed := false
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User, removed = url.User(u.User.Username()), true
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery, removed = q.Encode(), true
	}
	return u.String(), removed
}

// demoAPIURL is the API URL the demo instance reaches its simulator at,
// whatever port the simulator listens on: what the sync derives from the API
// URL, such as the vulnerabilities' webLink, is then the same on every run,
// and a second demo into the same store changes nothing.
const demoAPIURL = "http://qualys-simulator.localhost"

// demoHTTPClient returns a client that sends every request, whatever its
// host, to the simulator listening at addr, through no proxy, and does
// not follow redirects (as the Qualys client's own).
func demoHTTPClient(addr string) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			},
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       30 * time.Second,
			ResponseHeaderTimeout: 2 * time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// writeGraphSummary prints the live entities per _type and relationships
// per _type.
func writeGraphSummary(ctx context.Context, w io.Writer, st store.Store) error {
	ents, rels, err := st.Counts(ctx)
	if err != nil {
		return fmt.Errorf("count the graph: %w", err)
	}
	for _, part := range []struct {
		title string
		m     map[string]int64
	}{{"Entities", ents}, {"Relationships", rels}} {
		fmt.Fprintf(w, "\n%s by _type:\n", part.title)
		types := make([]string, 0, len(part.m))
		var total int64
		for t, n := range part.m {
			types = append(types, t)
			total += n
		}
		sort.Strings(types)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, t := range types {
			fmt.Fprintf(tw, "  %d\t  %s\t\n", part.m[t], t)
		}
		fmt.Fprintf(tw, "  %d\t  total\t\n", total)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// demoRowLimit bounds the rows printed per managed question, and
// demoQuestionTimeout the time one question may take.
const (
	demoRowLimit        = 15
	demoQuestionTimeout = 30 * time.Second
)

// runManagedQuestions prints the answer of every managed question as a
// table. A question that fails or comes back empty is reported and the
// others still run; the error says how many did.
func runManagedQuestions(ctx context.Context, w io.Writer, st store.Store) error {
	qs, err := questions.Load()
	if err != nil {
		return fmt.Errorf("load managed questions: %w", err)
	}
	var failed, empty int
	for _, q := range qs {
		fmt.Fprintf(w, "\n== %s\n", q.Title)
		for _, nq := range q.Queries {
			start := time.Now()
			res, err := executeQuery(ctx, st, nq.Query, j1ql.Options{Limit: demoRowLimit}, demoQuestionTimeout)
			if ctx.Err() != nil {
				return err
			}
			if err != nil {
				failed++
				fmt.Fprintf(w, "   %s: error: %v\n", nq.Name, err)
				continue
			}
			if len(q.Queries) > 1 {
				fmt.Fprintf(w, "-- %s\n", nq.Name)
			}
			if err := j1ql.WriteTable(w, res); err != nil {
				return fmt.Errorf("print %s: %w", q.ID, err)
			}
			if res.TotalCount == 0 {
				empty++
			}
			fmt.Fprintf(w, "   (%d result(s), %s)\n", res.TotalCount, time.Since(start).Round(time.Millisecond))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d managed question(s) failed", failed)
	}
	if empty > 0 {
		fmt.Fprintf(w, "\n%d managed question(s) had no answer on this data\n", empty)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// path characters, so a printed command can be pasted as it is.
func shellQuote(s string) string {
	plain := true
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
			break
		}
	}
	if plain && s != "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
