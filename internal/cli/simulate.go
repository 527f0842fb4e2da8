package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/qualys/sim"
)

// SimulateOptions are the inputs of qgraph simulate.
type SimulateOptions struct {
	Factory *Factory
	// Listen is the address to serve on.
	Listen string
	// Sim are the simulator options built from the flags.
	Sim sim.Options
	// FaultSpec is the --faults text, parsed into Sim.Faults.
	FaultSpec string
	// LimitsProfile names the limits (standard, premium, unlimited).
	LimitsProfile string
	// Now is the --now text: the simulated start clock, RFC 3339; empty
	// means the wall clock at start.
	Now string
	// PasswordGiven is set when the password came from the user, so it is
	// never printed.
	PasswordGiven bool
	// Advance, with URL, asks a running simulator to move its clock instead
	// of serving.
	Advance time.Duration
	URL     string
	// LogRequests logs one line per request to the error stream.
	LogRequests bool
	// Ready, when set, receives the base URL once the server listens (tests).
	Ready func(baseURL string)
}

func newSimulateCmd(f *Factory) *cobra.Command { return newSimulateCmdWith(f, nil) }

func newSimulateCmdWith(f *Factory, runF func(*SimulateOptions) error) *cobra.Command {
	opts := &SimulateOptions{Factory: f}
	var rateCalls, concurrency, otherRunning int
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Serve a simulated Qualys API, or move a running simulator's clock",
		Long: "simulate serves a fake Qualys API (host list, host assets, detections, KnowledgeBase, WAS web apps and " +
			"findings) with deterministic data generated from --seed, until interrupted. Point an instance's apiUrl " +
			"at the printed URL.\n\nWith --advance DURATION --url URL it instead asks the simulator at URL to move its " +
			"clock: some detections get fixed, some re-open, new hosts, detections and web apps appear and others retire.\n\n" +
			"--faults takes rules separated by ';', each a kind and ':key=value' options. Kinds: 5xx, slow, stall, reset, " +
			"hangup, truncate, corrupt, html, 409. Options: rate=FRACTION, on=N[,N...] (request numbers from 1), " +
			"endpoint=NAME (portal, hostlist, hostasset, detections, kb, webapps, findings, webappcount, findingcount, " +
			"activitylog), delay=DURATION (slow, stall), status=5NN (5xx), code=1960|1965|2003|2011|0 (409).",
		Example: "  qgraph simulate --listen 127.0.0.1:8080 --hosts 76000 --detections-per-host 33\n" +
			"  qgraph simulate --listen :8080 --faults '5xx:rate=0.05;reset:on=3:endpoint=detections'\n" +
			"  qgraph simulate --advance 24h --url http://127.0.0.1:8080",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := cmd.Flags()
			opts.PasswordGiven = flags.Changed("password")
			if !opts.PasswordGiven {
				if p := f.Getenv("QGRAPH_SIM_PASSWORD"); p != "" {
					opts.Sim.Password, opts.PasswordGiven = p, true
				}
			}
			if flags.Changed("advance") != flags.Changed("url") {
				return withExitCode(ExitUsage, errors.New("--advance and --url go together: qgraph simulate --advance 24h --url http://HOST:PORT"))
			}
			advance := flags.Changed("advance")
			if advance {
				if opts.Advance <= 0 {
					return withExitCode(ExitUsage, fmt.Errorf("--advance %v: the clock only moves forward; want a positive duration of at least 1s, such as 24h", opts.Advance))
				}
				if opts.Advance < time.Second {
					return withExitCode(ExitUsage, fmt.Errorf("--advance %v: want a duration of at least 1s, such as 24h", opts.Advance))
				}
			} else {
				if err := opts.buildSim(flags.Changed("rate-limit"), rateCalls, flags.Changed("concurrency-limit"), concurrency, otherRunning); err != nil {
					return withExitCode(ExitUsage, err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			if advance {
				return simulateAdvance(cmd.Context(), opts)
			}
			return simulateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "address to serve on")
	fl.IntVar(&opts.Sim.Hosts, "hosts", 100, "scanned hosts at start")
	fl.IntVar(&opts.Sim.DetectionsPerHost, "detections-per-host", 10, "mean detections per host (all statuses and types)")
	fl.IntVar(&opts.Sim.WebApps, "webapps", 5, "WAS web apps at start (0 for none)")
	fl.IntVar(&opts.Sim.FindingsPerWebApp, "findings-per-webapp", 30, "mean WAS findings per web app")
	fl.IntVar(&opts.Sim.KnowledgeBaseSize, "kb-size", 6000, "QIDs in the KnowledgeBase")
	fl.Int64Var(&opts.Sim.Seed, "seed", 1, "data seed: the same seed serves the same bytes")
	fl.StringVar(&opts.FaultSpec, "faults", "", "faults to inject, e.g. '5xx:rate=0.05;reset:on=3,7:endpoint=detections;slow:delay=2s:rate=0.1'")
	fl.StringVar(&opts.Sim.Username, "username", sim.DefaultUsername, "Basic auth user name accepted")
	fl.StringVar(&opts.Sim.Password, "password", sim.DefaultPassword, "Basic auth password accepted (or env QGRAPH_SIM_PASSWORD)")
	fl.StringVar(&opts.Now, "now", "", "simulated start clock, RFC 3339 (default: the current time, so syncs with day windows see the data; pin it for byte-identical runs)")
	fl.StringVar((*string)(&opts.Sim.Account), "account", "", "subscription state: empty (active), expired or no-api-access")
	fl.StringVar(&opts.LimitsProfile, "limits", "standard", "FO limits profile: standard (300/h, 2 concurrent), premium (2000/h, 10) or unlimited")
	fl.IntVar(&rateCalls, "rate-limit", 0, "FO calls per hour per endpoint (overrides the profile)")
	fl.IntVar(&concurrency, "concurrency-limit", 0, "concurrent FO calls (overrides the profile)")
	fl.IntVar(&otherRunning, "other-running", 0, "FO calls other scripts always hold, counted against the concurrency limit")
	fl.BoolVar(&opts.Sim.Gzip, "gzip", false, "gzip responses for clients that accept it")
	fl.DurationVar(&opts.Sim.Latency, "latency", 0, "delay per record served, e.g. 1ms")
	fl.DurationVar(&opts.Sim.LatencyJitter, "latency-jitter", 0, "random extra delay per response, up to this")
	fl.BoolVar(&opts.LogRequests, "log-requests", false, "log one line per request (method, path, status, duration) to stderr")
	fl.DurationVar(&opts.Advance, "advance", 0, "move the clock of the simulator at --url by this duration, then exit")
	fl.StringVar(&opts.URL, "url", "", "base URL of a running simulator (with --advance)")
	return cmd
}

// buildSim checks the flags and fills opts.Sim.
func (opts *SimulateOptions) buildSim(rateSet bool, rate int, concSet bool, conc, otherRunning int) error {
	var errs []error
	limits, err := sim.LimitsProfile(opts.LimitsProfile)
	if err != nil {
		errs = append(errs, fmt.Errorf("--limits: %w", err))
	}
	if rateSet {
		if rate < 1 {
			errs = append(errs, fmt.Errorf("--rate-limit %d: want at least 1 call per hour", rate))
		}
		limits.Calls, limits.Unlimited = rate, false
	}
	if concSet {
		if conc < 1 {
			errs = append(errs, fmt.Errorf("--concurrency-limit %d: want at least 1", conc))
		}
		limits.Concurrency, limits.Unlimited = conc, false
	}
	switch opts.Sim.Account {
	case sim.AccountActive, sim.AccountExpired, sim.AccountNoAPIAccess:
	default:
		errs = append(errs, fmt.Errorf("--account: unknown account state %q (want %s or %s)", opts.Sim.Account, sim.AccountExpired, sim.AccountNoAPIAccess))
	}
	if otherRunning < 0 {
		errs = append(errs, fmt.Errorf("--other-running %d: must not be negative", otherRunning))
	}
	// Zero would silently mean "the package default" for these.
	for _, c := range []struct {
		flag  string
		value int
	}{
		{"--hosts", opts.Sim.Hosts},
		{"--detections-per-host", opts.Sim.DetectionsPerHost},
		{"--kb-size", opts.Sim.KnowledgeBaseSize},
	} {
		if c.value < 1 {
			errs = append(errs, fmt.Errorf("%s %d: want at least 1", c.flag, c.value))
		}
	}
	limits.OtherRunning = otherRunning
	opts.Sim.Limits = limits
	if opts.Now == "" {
		opts.Sim.Now = time.Now().UTC().Truncate(time.Minute)
	} else if t, err := time.Parse(time.RFC3339, opts.Now); err != nil {
		errs = append(errs, fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-03-02T09:00:00Z", opts.Now))
	} else {
		opts.Sim.Now = t
	}
	faults, err := sim.ParseFaults(opts.FaultSpec)
	if err != nil {
		errs = append(errs, fmt.Errorf("--faults: %w", err))
	}
	opts.Sim.Faults = faults
	if opts.Sim.WebApps == 0 {
		opts.Sim.NoWebApps = true
	}
	if opts.Sim.Username == "" || opts.Sim.Password == "" {
		errs = append(errs, errors.New("--username and --password must not be empty"))
	}
	if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: want HOST:PORT, such as 127.0.0.1:8080", opts.Listen))
	}
	return errors.Join(errs...)
}

func simulateRun(ctx context.Context, opts *SimulateOptions) error {
	f := opts.Factory
	opts.Sim.Logger = f.Logger()
	if opts.LogRequests {
		opts.Sim.Logger = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := sim.New(opts.Sim)
	if err != nil {
		return withExitCode(ExitUsage, err)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("simulate: listen on %s: %w", opts.Listen, err)
	}
	base := "http://" + displayAddr(ln.Addr())
	o := s.Options()
	fmt.Fprintf(f.IO.Out, "Qualys simulator serving at %s\n", base)
	fmt.Fprintf(f.IO.Out, "  data: %d hosts, ~%d detections per host, %d web apps, seed %d, clock %s\n",
		o.Hosts, o.DetectionsPerHost, o.WebApps, o.Seed, s.Now().Format(time.RFC3339))
	if opts.PasswordGiven {
		fmt.Fprintf(f.IO.Out, "  credentials: user %q, the password you gave\n", o.Username)
	} else {
		fmt.Fprintf(f.IO.Out, "  credentials: user %q, password %q (built-in demo credentials)\n", o.Username, o.Password)
	}
	if len(o.Faults.Rules) > 0 {
		fmt.Fprintf(f.IO.Out, "  faults: %s\n", o.Faults)
	}
	fmt.Fprintf(f.IO.Out, "  move the clock: qgraph simulate --advance 24h --url %s (counters: GET %s/sim/stats)\n", base, base)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if opts.Ready != nil {
		opts.Ready(base)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("simulate: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	fmt.Fprintln(f.IO.ErrOut, "simulator stopped")
	return nil
}

// displayAddr turns a wildcard listen address into one a client can reach.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func simulateAdvance(ctx context.Context, opts *SimulateOptions) error {
	f := opts.Factory
	base, err := url.Parse(strings.TrimRight(strings.TrimSpace(opts.URL), "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return withExitCode(ExitUsage, fmt.Errorf("--url %q: want the simulator's base URL, such as http://127.0.0.1:8080", opts.URL))
	}
	target := base.String() + "/sim/advance?by=" + url.QueryEscape(opts.Advance.String())
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return fmt.Errorf("simulate --advance: %w", err)
	}
	req.SetBasicAuth(opts.Sim.Username, opts.Sim.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("simulate --advance: call %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("simulate --advance: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		_ = json.Unmarshal(body, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(body))
		}
		return fmt.Errorf("simulate --advance: %s answered %s: %s", base, resp.Status, e.Error)
	}
	var st sim.State
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("simulate --advance: decode answer of %s: %w", base, err)
	}
	_, err = fmt.Fprintf(f.IO.Out, "simulator clock now %s (epoch %d): %d hosts, %d web apps\n",
		st.Now.Format(time.RFC3339), st.Epoch, st.Hosts, st.WebApps)
	return err
}
