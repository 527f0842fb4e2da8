package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/qgraph/qgraph/internal/config"
	"github.com/qgraph/qgraph/internal/integration"
	"github.com/qgraph/qgraph/internal/integration/qualysint"
	"github.com/qgraph/qgraph/internal/mapper"
	"github.com/qgraph/qgraph/internal/store"
)

// SyncOptions are the inputs of qgraph sync.
type SyncOptions struct {
	Factory    *Factory
	ConfigPath string
	Instance   string
	Full       bool
	// Verbose prints every detail of the job reports.
	Verbose bool
}

// ExitInterrupted is the exit code of a sync stopped by SIGINT or SIGTERM
// (128 + SIGINT, as shells report it).
const ExitInterrupted = 130

// errInterrupted is the error of a sync stopped by a signal: the job was
// cancelled and its store sync aborted.
var errInterrupted = errors.New("sync interrupted; nothing of this job was stored")

// errInterruptedAfterCommit is the error of a sync stopped by a signal
// after its commit: the job's data is stored, and the relationships the
// mapper resolves (hosts, CVEs, mapping rules) are completed by the next
// sync.
var errInterruptedAfterCommit = errors.New("sync interrupted after its data was stored; the next sync completes the relationships to hosts and CVEs")

func newSyncCmd(f *Factory, runF func(*SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "sync --config FILE [--instance NAME] [--full]",
		Short: "Run one sync job per configured instance",
		Long: "sync reads each configured Qualys instance (or only --instance) into the store, printing progress per step " +
			"and a job report, then resolves mapped relationships and the mapping rules (the default ones and those of " +
			"the config's mappingRules; a rule removed from the config loses its relationships). Runs are incremental " +
			"from each dataset's high-water mark; --full also deletes findings that Qualys no longer reports. The exit " +
			"code is 3 when a step or a job failed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.ConfigPath == "" {
				return withExitCode(ExitUsage, errors.New("--config is required"))
			}
			if runF != nil {
				return runF(opts)
			}
			return syncRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.ConfigPath, "config", "", "configuration file (YAML)")
	cmd.Flags().StringVar(&opts.Instance, "instance", "", "sync only this instance")
	cmd.Flags().BoolVar(&opts.Full, "full", false, "reconcile: read everything and delete findings Qualys no longer reports")
	cmd.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "print every detail of the job reports (such as the types kept, not replaced)")
	return cmd
}

func syncRun(ctx context.Context, opts *SyncOptions) error {
	f := opts.Factory
	cfg, err := config.Load(opts.ConfigPath, f.Getenv)
	if err != nil {
		return withExitCode(ExitUsage, err)
	}
	instances := cfg.Instances
	if opts.Instance != "" {
		in, err := cfg.Instance(opts.Instance)
		if err != nil {
			return withExitCode(ExitUsage, err)
		}
		instances = []config.Instance{*in}
	}
	st, err := f.CreateStore(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return withExitCode(ExitInterrupted, errInterrupted)
		}
		return err
	}
	defer st.Close()
	rules := cfg.MapperRules()
	withRules := func(o *qualysint.SyncOptions) {
		o.AfterCommit = func(ctx context.Context) (any, error) {
			return mapper.New(st, mapper.Options{Rules: rules, Logger: o.Logger}).Resolve(ctx)
		}
	}
	failed := 0
	for _, in := range instances {
		rep, err := syncInstance(ctx, f, st, in, opts.Full, withRules)
		if ctx.Err() != nil && (err != nil || rep == nil || rep.Status == integration.StatusCancelled) {
			// Interrupted: the job aborted its store sync.
			return withExitCode(ExitInterrupted, fmt.Errorf("instance %s: %w", in.Name, errInterrupted))
		}
		if rep != nil {
			writeReport(f.IO.Out, rep, opts.Verbose)
		}
		if ctx.Err() != nil && rep != nil {
			// Interrupted after the commit: the job is stored, the mapper
			// (or what came after) did not finish.
			return withExitCode(ExitInterrupted, fmt.Errorf("instance %s: %w", in.Name, errInterruptedAfterCommit))
		}
		if err != nil {
			fmt.Fprintf(f.IO.ErrOut, "sync %s: %v\n", in.Name, err)
			failed++
			continue
		}
		if rep.Failed() {
			failed++
		}
	}
	if failed > 0 {
		return withExitCode(ExitJobFailed, fmt.Errorf("%d of %d instance job(s) failed", failed, len(instances)))
	}
	return nil
}

// syncInstance runs one instance's job with progress on ErrOut. client may
// be nil (a real Qualys client is made from the config).
func syncInstance(ctx context.Context, f *Factory, st store.Store, in config.Instance, full bool, extra func(*qualysint.SyncOptions)) (*integration.Report, error) {
	prog := newProgressPrinter(f.IO.ErrOut, f.IO.ErrTTY, in.Name)
	so := qualysint.SyncOptions{
		Store:      st,
		Instance:   in,
		Full:       full,
		Logger:     f.Logger(),
		OnProgress: prog.handle,
	}
	if extra != nil {
		extra(&so)
	}
	rep, err := qualysint.Sync(ctx, so)
	prog.done()
	return rep, err
}

// progressPrinter renders engine progress: one line per finished step, and
// on a terminal a live counter of objects written.
type progressPrinter struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	instance string
	objects  int64
	start    time.Time
	// commitStart is when the commit began.
	commitStart time.Time
	lastDraw    time.Time
	live        bool
}

func newProgressPrinter(w io.Writer, tty bool, instance string) *progressPrinter {
	return &progressPrinter{w: w, tty: tty, instance: instance, start: time.Now()}
}

func (p *progressPrinter) handle(ev integration.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case integration.ProgressObjects:
		p.objects += ev.Objects
		if p.tty && time.Since(p.lastDraw) > 200*time.Millisecond {
			p.lastDraw = time.Now()
			fmt.Fprintf(p.w, "\r\033[K  %s: %d objects written (%s)", p.instance, p.objects, time.Since(p.start).Round(time.Second))
			p.live = true
		}
		return
	case integration.ProgressStepStarted:
		p.clear()
		if !p.tty {
			fmt.Fprintf(p.w, "%s  %s step=%s started\n", time.Now().UTC().Format(time.RFC3339), p.instance, ev.Step)
		}
	case integration.ProgressStepFinished:
		p.clear()
		if p.tty {
			mark := map[integration.Status]string{integration.StatusSuccess: "✓", integration.StatusFailed: "✗", integration.StatusPartial: "!", integration.StatusDisabled: "-"}[ev.Status]
			if mark == "" {
				mark = "?"
			}
			fmt.Fprintf(p.w, "  %s %-32s %-9s %8d objects  %s\n", mark, ev.Step, ev.Status, ev.Objects, ev.Elapsed.Round(time.Millisecond))
		} else {
			fmt.Fprintf(p.w, "%s  %s step=%s status=%s objects=%d duration=%s\n", time.Now().UTC().Format(time.RFC3339), p.instance, ev.Step, ev.Status, ev.Objects, ev.Elapsed.Round(time.Millisecond))
		}
		if ev.Message != "" && ev.Status == integration.StatusFailed {
			fmt.Fprintf(p.w, "      %s\n", ev.Message)
		}
	case integration.ProgressCommitting:
		p.clear()
		p.commitStart = time.Now()
		fmt.Fprintf(p.w, "%scommitting %d objects…\n", p.prefix(), p.objects)
	case integration.ProgressCommitted:
		fmt.Fprintf(p.w, "%scommitted in %s (job %s so far)\n", p.prefix(), time.Since(p.commitStart).Round(time.Millisecond), time.Since(p.start).Round(time.Millisecond))
	}
}

func (p *progressPrinter) prefix() string {
	if p.tty {
		return "  "
	}
	return time.Now().UTC().Format(time.RFC3339) + "  " + p.instance + " "
}

func (p *progressPrinter) clear() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = false
	}
}

func (p *progressPrinter) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}
